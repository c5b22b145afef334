-- settlement_dates: the utility settlements the resident may see, per premises and
-- account (the select lists of "Media rozliczenia").
-- params: resident
-- columns: premises int, account int, account_no text, account_name text, settled_on date
SELECT DISTINCT r.ID_LOK AS premises,
       r.ID_KONTA AS account,
       k.NR_KONTA AS account_no,
       k.NAZWA_KONTA AS account_name,
       r.DATA_ROZL AS settled_on
FROM PRZYDZIALY p
JOIN ROZL_MED r ON r.ID_LOK = p.ID_LOK
JOIN KONTA k ON k.ID_KONTA = r.ID_KONTA
WHERE p.ID_OS = :resident
  AND r.DATA_ROZL >= p.DATA_OD
  AND (p.DATA_DO IS NULL OR r.DATA_ROZL <= p.DATA_DO)
