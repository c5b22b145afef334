-- amount_due: per premises and account the resident holds today, the parts of
-- the balance as of today: the opening balance of the current year plus the
-- debits (Wn) and credits (Ma) from :date_from (1 January) up to :today, all
-- within the resident's assignment. Amount due = opening + debit - credit
-- (positive: a debt, negative: an overpayment). One query for every premises.
-- params: resident, date_from, today
-- columns: premises int, account int, account_no text, account_name text, account_kind text, opening decimal:2, debit decimal:2, credit decimal:2
SELECT k.ID_LOK AS premises,
       k.ID_KONTA AS account,
       k.NR_KONTA AS account_no,
       k.NAZWA_KONTA AS account_name,
       k.RODZ_KONTA AS account_kind,
       (SELECT SUM(b.KWOTA_BO) FROM SALDA_BO b
         WHERE b.ID_KONTA = k.ID_KONTA AND b.DATA_BO >= :date_from AND b.DATA_BO <= :today
           AND b.DATA_BO >= p.DATA_OD) AS opening,
       (SELECT SUM(d.KWOTA_WN) FROM DOKUMENTY d
         WHERE d.ID_KONTA = k.ID_KONTA AND d.DATA_DOK >= :date_from AND d.DATA_DOK <= :today
           AND d.DATA_DOK >= p.DATA_OD) AS debit,
       (SELECT SUM(d.KWOTA_MA) FROM DOKUMENTY d
         WHERE d.ID_KONTA = k.ID_KONTA AND d.DATA_DOK >= :date_from AND d.DATA_DOK <= :today
           AND d.DATA_DOK >= p.DATA_OD) AS credit
FROM PRZYDZIALY p
JOIN KONTA k ON k.ID_LOK = p.ID_LOK
WHERE p.ID_OS = :resident
  AND p.DATA_OD <= :today
  AND (p.DATA_DO IS NULL OR p.DATA_DO >= :today)
  AND k.DATA_OTW <= :today
  AND (k.DATA_ZAMK IS NULL OR k.DATA_ZAMK >= :today)
ORDER BY k.ID_LOK, k.RODZ_KONTA, k.ID_KONTA
