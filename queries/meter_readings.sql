-- meter_readings: the meter-reading documents of one premises and medium in a period.
-- reading_kind: O regular, S estimated, W meter replacement.
-- params: resident, premises, medium, date_from, date_to
-- columns: doc_no text, reading_date date, meter_no text, place text, previous decimal:3, current decimal:3, consumption decimal:3, reading_kind text, unit text, installed date, removed date
SELECT o.NR_DOK AS doc_no,
       o.DATA_ODCZ AS reading_date,
       m.NR_FABR AS meter_no,
       m.MIEJSCE AS place,
       o.STAN_POPRZ AS previous,
       o.STAN_AKT AS current,
       o.ZUZYCIE AS consumption,
       o.RODZ_ODCZ AS reading_kind,
       md.JEDN AS unit,
       m.DATA_MONT AS installed,
       m.DATA_DEMONT AS removed
FROM LICZNIKI m
JOIN ODCZYTY o ON o.ID_LICZ = m.ID_LICZ
JOIN MEDIA md ON md.KOD_MED = m.KOD_MED
WHERE m.ID_LOK = :premises
  AND m.KOD_MED = :medium
  AND o.DATA_ODCZ >= :date_from
  AND o.DATA_ODCZ <= :date_to
  AND EXISTS (SELECT 1 FROM PRZYDZIALY p
              WHERE p.ID_OS = :resident AND p.ID_LOK = m.ID_LOK
                AND o.DATA_ODCZ >= p.DATA_OD
                AND (p.DATA_DO IS NULL OR o.DATA_ODCZ <= p.DATA_DO))
ORDER BY o.DATA_ODCZ, o.ID_ODCZ
