-- rent_periods: the months with charges that the resident may see, per premises
-- (only months that start within one of the resident's assignments to it).
-- params: resident
-- columns: premises int, period date
SELECT DISTINCT n.ID_LOK AS premises, n.OKRES AS period
FROM PRZYDZIALY p
JOIN NALICZENIA n ON n.ID_LOK = p.ID_LOK
WHERE p.ID_OS = :resident
  AND n.OKRES >= p.DATA_OD
  AND (p.DATA_DO IS NULL OR n.OKRES <= p.DATA_DO)
