-- amount_due: per premises and account the resident holds today, the parts of
-- the balance as of today: the opening balance of the current year plus the
-- debits (Wn) and credits (Ma) from :date_from (1 January) up to :today, all
-- within the resident's assignment. Amount due = opening + debit - credit
-- (positive: a debt, negative: an overpayment). One query for every premises.
-- For the summary page also, within the assignment and up to :today: the last
-- payment (WPL; the sum of that day's payments), the last utility settlement
-- (the sum of that day's differences: > 0 to pay, < 0 returned) and how many
-- documents are dated after :since (the day of the resident's previous visit).
-- Each sum is "+ 0.0": the SQLite ODBC driver types a computed column by its first
-- row, and a whole-złoty first sum (stored as an integer) would truncate the grosze
-- of every row after it; a real first value keeps them (other servers: no change).
-- params: resident, date_from, today, since
-- columns: premises int, account int, account_no text, account_name text, account_kind text, opening decimal:2, debit decimal:2, credit decimal:2, last_payment_on date, last_payment decimal:2, last_settled_on date, last_settlement decimal:2, documents_since int
SELECT k.ID_LOK AS premises,
       k.ID_KONTA AS account,
       k.NR_KONTA AS account_no,
       k.NAZWA_KONTA AS account_name,
       k.RODZ_KONTA AS account_kind,
       (SELECT SUM(b.KWOTA_BO) FROM SALDA_BO b
         WHERE b.ID_KONTA = k.ID_KONTA AND b.DATA_BO >= :date_from AND b.DATA_BO <= :today
           AND b.DATA_BO >= p.DATA_OD) + 0.0 AS opening,
       (SELECT SUM(d.KWOTA_WN) FROM DOKUMENTY d
         WHERE d.ID_KONTA = k.ID_KONTA AND d.DATA_DOK >= :date_from AND d.DATA_DOK <= :today
           AND d.DATA_DOK >= p.DATA_OD) + 0.0 AS debit,
       (SELECT SUM(d.KWOTA_MA) FROM DOKUMENTY d
         WHERE d.ID_KONTA = k.ID_KONTA AND d.DATA_DOK >= :date_from AND d.DATA_DOK <= :today
           AND d.DATA_DOK >= p.DATA_OD) + 0.0 AS credit,
       (SELECT MAX(w.DATA_DOK) FROM DOKUMENTY w
         WHERE w.ID_KONTA = k.ID_KONTA AND w.RODZ_DOK = 'WPL'
           AND w.DATA_DOK >= p.DATA_OD AND w.DATA_DOK <= :today) AS last_payment_on,
       (SELECT SUM(w.KWOTA_MA) FROM DOKUMENTY w
         WHERE w.ID_KONTA = k.ID_KONTA AND w.RODZ_DOK = 'WPL'
           AND w.DATA_DOK = (SELECT MAX(x.DATA_DOK) FROM DOKUMENTY x
                             WHERE x.ID_KONTA = k.ID_KONTA AND x.RODZ_DOK = 'WPL'
                               AND x.DATA_DOK >= p.DATA_OD AND x.DATA_DOK <= :today))
         + 0.0 AS last_payment,
       (SELECT MAX(r.DATA_ROZL) FROM ROZL_MED r
         WHERE r.ID_KONTA = k.ID_KONTA AND r.ID_LOK = k.ID_LOK
           AND r.DATA_ROZL >= p.DATA_OD AND r.DATA_ROZL <= :today) AS last_settled_on,
       (SELECT SUM(r.ROZNICA) FROM ROZL_MED r
         WHERE r.ID_KONTA = k.ID_KONTA AND r.ID_LOK = k.ID_LOK
           AND r.DATA_ROZL = (SELECT MAX(y.DATA_ROZL) FROM ROZL_MED y
                              WHERE y.ID_KONTA = k.ID_KONTA AND y.ID_LOK = k.ID_LOK
                                AND y.DATA_ROZL >= p.DATA_OD AND y.DATA_ROZL <= :today))
         + 0.0 AS last_settlement,
       (SELECT COUNT(*) FROM DOKUMENTY n
         WHERE n.ID_KONTA = k.ID_KONTA AND n.DATA_DOK > :since AND n.DATA_DOK <= :today
           AND n.DATA_DOK >= p.DATA_OD) AS documents_since
FROM PRZYDZIALY p
JOIN KONTA k ON k.ID_LOK = p.ID_LOK
WHERE p.ID_OS = :resident
  AND p.DATA_OD <= :today
  AND (p.DATA_DO IS NULL OR p.DATA_DO >= :today)
  AND k.DATA_OTW <= :today
  AND (k.DATA_ZAMK IS NULL OR k.DATA_ZAMK >= :today)
ORDER BY k.ID_LOK, k.RODZ_KONTA, k.ID_KONTA
