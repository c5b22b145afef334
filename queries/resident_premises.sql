-- resident_premises: every assignment (przydział) of the resident to a premises, active or ended.
-- params: resident
-- columns: premises int, register_no text, kind text, premises_no text, street text, house_no text, postal_code text, city text, area decimal:2, rooms int, floor int, title text, share text, persons int, date_from date, date_to date
SELECT l.ID_LOK AS premises,
       l.NR_EWID AS register_no,
       l.RODZ_LOK AS kind,
       l.NR_LOK AS premises_no,
       b.ULICA AS street,
       b.NR_DOMU AS house_no,
       b.KOD_POCZT AS postal_code,
       b.MIASTO AS city,
       l.POW_UZYT AS area,
       l.LICZBA_POK AS rooms,
       l.PIETRO AS floor,
       t.NAZWA_TYT AS title,
       p.UDZIAL AS share,
       p.LICZBA_OS AS persons,
       p.DATA_OD AS date_from,
       p.DATA_DO AS date_to
FROM PRZYDZIALY p
JOIN LOKALE l ON l.ID_LOK = p.ID_LOK
JOIN BUDYNKI b ON b.ID_BUD = l.ID_BUD
LEFT JOIN TYTULY t ON t.KOD_TYT = p.KOD_TYT
WHERE p.ID_OS = :resident
ORDER BY p.DATA_OD, l.NR_EWID
