-- settlements: utility settlement documents of one account in a period:
-- advances paid vs actual cost; difference > 0 underpayment, < 0 overpayment.
-- params: resident, account, date_from, date_to
-- columns: doc_no text, settled_on date, medium text, medium_name text, unit text, period_from date, period_to date, consumption decimal:3, advances decimal:2, cost decimal:2, difference decimal:2
SELECT r.NR_DOK AS doc_no,
       r.DATA_ROZL AS settled_on,
       r.KOD_MED AS medium,
       md.NAZWA_MED AS medium_name,
       md.JEDN AS unit,
       r.OKRES_OD AS period_from,
       r.OKRES_DO AS period_to,
       r.ZUZYCIE AS consumption,
       r.ZALICZKI AS advances,
       r.KOSZT AS cost,
       r.ROZNICA AS difference
FROM ROZL_MED r
JOIN MEDIA md ON md.KOD_MED = r.KOD_MED
WHERE r.ID_KONTA = :account
  AND r.DATA_ROZL >= :date_from
  AND r.DATA_ROZL <= :date_to
  AND EXISTS (SELECT 1 FROM PRZYDZIALY p
              WHERE p.ID_OS = :resident AND p.ID_LOK = r.ID_LOK
                AND r.DATA_ROZL >= p.DATA_OD
                AND (p.DATA_DO IS NULL OR r.DATA_ROZL <= p.DATA_DO))
ORDER BY r.DATA_ROZL, r.KOD_MED, r.NR_DOK
