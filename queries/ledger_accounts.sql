-- ledger_accounts: the accounts (konta) of the resident's premises, with the dates
-- between which the resident may see them (account open and assignment overlap),
-- and the date of the account's first entry (years before it have no data).
-- params: resident
-- columns: premises int, account int, account_no text, account_name text, account_kind text, opened date, closed date, assigned_from date, assigned_to date, first_entry date
SELECT k.ID_LOK AS premises,
       k.ID_KONTA AS account,
       k.NR_KONTA AS account_no,
       k.NAZWA_KONTA AS account_name,
       k.RODZ_KONTA AS account_kind,
       k.DATA_OTW AS opened,
       k.DATA_ZAMK AS closed,
       p.DATA_OD AS assigned_from,
       p.DATA_DO AS assigned_to,
       (SELECT MIN(d.DATA_DOK) FROM DOKUMENTY d WHERE d.ID_KONTA = k.ID_KONTA) AS first_entry
FROM PRZYDZIALY p
JOIN KONTA k ON k.ID_LOK = p.ID_LOK
WHERE p.ID_OS = :resident
  AND (p.DATA_DO IS NULL OR k.DATA_OTW <= p.DATA_DO)
  AND (k.DATA_ZAMK IS NULL OR k.DATA_ZAMK >= p.DATA_OD)
ORDER BY k.ID_LOK, k.RODZ_KONTA, k.DATA_OTW
