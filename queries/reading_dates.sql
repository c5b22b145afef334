-- reading_dates: the dates of meter readings the resident may see, per premises
-- and medium (the select lists of "Media odczyty").
-- params: resident
-- columns: premises int, medium text, medium_name text, reading_date date
SELECT DISTINCT m.ID_LOK AS premises,
       m.KOD_MED AS medium,
       md.NAZWA_MED AS medium_name,
       o.DATA_ODCZ AS reading_date
FROM PRZYDZIALY p
JOIN LICZNIKI m ON m.ID_LOK = p.ID_LOK
JOIN ODCZYTY o ON o.ID_LICZ = m.ID_LICZ
JOIN MEDIA md ON md.KOD_MED = m.KOD_MED
WHERE p.ID_OS = :resident
  AND o.DATA_ODCZ >= p.DATA_OD
  AND (p.DATA_DO IS NULL OR o.DATA_ODCZ <= p.DATA_DO)
