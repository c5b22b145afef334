-- ledger_summary: opening balance and turnover (Wn, Ma) of one account in a period,
-- counting only what falls within the resident's assignment to the premises.
-- Opening balance: the SALDA_BO row dated within the period (1 January, or the
-- day a mid-year account was opened); NULL when there is none.
-- params: resident, account, date_from, date_to
-- columns: account int, account_no text, account_name text, opening decimal:2, debit decimal:2, credit decimal:2, documents int
SELECT k.ID_KONTA AS account,
       k.NR_KONTA AS account_no,
       k.NAZWA_KONTA AS account_name,
       (SELECT SUM(b.KWOTA_BO) FROM SALDA_BO b
         WHERE b.ID_KONTA = k.ID_KONTA AND b.DATA_BO >= :date_from AND b.DATA_BO <= :date_to
           AND EXISTS (SELECT 1 FROM PRZYDZIALY p
                       WHERE p.ID_OS = :resident AND p.ID_LOK = k.ID_LOK
                         AND b.DATA_BO >= p.DATA_OD
                         AND (p.DATA_DO IS NULL OR b.DATA_BO <= p.DATA_DO))) AS opening,
       SUM(d.KWOTA_WN) AS debit,
       SUM(d.KWOTA_MA) AS credit,
       COUNT(d.ID_DOK) AS documents
FROM KONTA k
LEFT JOIN DOKUMENTY d
       ON d.ID_KONTA = k.ID_KONTA
      AND d.DATA_DOK >= :date_from AND d.DATA_DOK <= :date_to
      AND EXISTS (SELECT 1 FROM PRZYDZIALY p
                  WHERE p.ID_OS = :resident AND p.ID_LOK = k.ID_LOK
                    AND d.DATA_DOK >= p.DATA_OD
                    AND (p.DATA_DO IS NULL OR d.DATA_DOK <= p.DATA_DO))
WHERE k.ID_KONTA = :account
  AND EXISTS (SELECT 1 FROM PRZYDZIALY p
              WHERE p.ID_OS = :resident AND p.ID_LOK = k.ID_LOK
                AND p.DATA_OD <= :date_to
                AND (p.DATA_DO IS NULL OR p.DATA_DO >= :date_from))
GROUP BY k.ID_KONTA, k.NR_KONTA, k.NAZWA_KONTA, k.ID_LOK
