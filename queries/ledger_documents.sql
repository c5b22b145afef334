-- ledger_documents: every accounting document of one account in a period, in
-- booking order, within the resident's assignment to the premises.
-- params: resident, account, date_from, date_to
-- columns: document int, doc_date date, doc_no text, doc_kind text, kind_name text, description text, debit decimal:2, credit decimal:2, corrects_no text
SELECT d.ID_DOK AS document,
       d.DATA_DOK AS doc_date,
       d.NR_DOK AS doc_no,
       d.RODZ_DOK AS doc_kind,
       r.NAZWA_RODZ AS kind_name,
       d.OPIS AS description,
       d.KWOTA_WN AS debit,
       d.KWOTA_MA AS credit,
       c.NR_DOK AS corrects_no
FROM DOKUMENTY d
JOIN KONTA k ON k.ID_KONTA = d.ID_KONTA
LEFT JOIN RODZ_DOK r ON r.RODZ_DOK = d.RODZ_DOK
LEFT JOIN DOKUMENTY c ON c.ID_DOK = d.ID_DOK_KOR
WHERE d.ID_KONTA = :account
  AND d.DATA_DOK >= :date_from
  AND d.DATA_DOK <= :date_to
  AND EXISTS (SELECT 1 FROM PRZYDZIALY p
              WHERE p.ID_OS = :resident AND p.ID_LOK = k.ID_LOK
                AND d.DATA_DOK >= p.DATA_OD
                AND (p.DATA_DO IS NULL OR d.DATA_DOK <= p.DATA_DO))
ORDER BY d.DATA_DOK, d.ID_DOK
