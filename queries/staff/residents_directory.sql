-- residents_directory: every person with an assignment, with the premises and
-- address (staff only: `gateway residents find`, `gateway accounts issue`).
-- params: today
-- columns: resident int, first_name text, last_name text, company text, register_no text, kind text, street text, house_no text, premises_no text, city text, date_from date, date_to date, active int
SELECT o.ID_OS AS resident,
       o.IMIE AS first_name,
       o.NAZWISKO AS last_name,
       o.NAZWA_FIRMY AS company,
       l.NR_EWID AS register_no,
       l.RODZ_LOK AS kind,
       b.ULICA AS street,
       b.NR_DOMU AS house_no,
       l.NR_LOK AS premises_no,
       b.MIASTO AS city,
       p.DATA_OD AS date_from,
       p.DATA_DO AS date_to,
       CASE WHEN p.DATA_OD <= :today AND (p.DATA_DO IS NULL OR p.DATA_DO >= :today)
            THEN 1 ELSE 0 END AS active
FROM OSOBY o
JOIN PRZYDZIALY p ON p.ID_OS = o.ID_OS
JOIN LOKALE l ON l.ID_LOK = p.ID_LOK
JOIN BUDYNKI b ON b.ID_BUD = l.ID_BUD
ORDER BY o.ID_OS, p.DATA_OD
