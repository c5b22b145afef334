-- virtual_accounts: the bank account (NRB) for payments of each premises the
-- resident holds on the given day. (The premises come from an uncorrelated
-- IN (...) on the resident's assignments, so the lookup starts from the
-- resident's index, not from a scan of every virtual account.)
-- params: resident, today
-- columns: premises int, register_no text, kind text, premises_no text, street text, house_no text, postal_code text, city text, nrb text, valid_from date
SELECT l.ID_LOK AS premises,
       l.NR_EWID AS register_no,
       l.RODZ_LOK AS kind,
       l.NR_LOK AS premises_no,
       b.ULICA AS street,
       b.NR_DOMU AS house_no,
       b.KOD_POCZT AS postal_code,
       b.MIASTO AS city,
       w.NRB AS nrb,
       w.DATA_OD AS valid_from
FROM RACH_WIRT w
JOIN LOKALE l ON l.ID_LOK = w.ID_LOK
JOIN BUDYNKI b ON b.ID_BUD = l.ID_BUD
WHERE w.DATA_OD <= :today
  AND (w.DATA_DO IS NULL OR w.DATA_DO >= :today)
  AND w.ID_LOK IN (SELECT p.ID_LOK FROM PRZYDZIALY p
                   WHERE p.ID_OS = :resident
                     AND p.DATA_OD <= :today
                     AND (p.DATA_DO IS NULL OR p.DATA_DO >= :today))
ORDER BY l.NR_EWID, w.ID_RW
