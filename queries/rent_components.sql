-- rent_components: the rent components charged for one premises in a period of whole
-- months (one month for the table; the Czynsz page's chart asks for the last 24).
-- params: resident, premises, date_from, date_to
-- columns: period date, code text, component text, unit text, basis text, quantity decimal:3, rate decimal:4, amount decimal:2, vat decimal:2, vat_rate decimal:2
SELECT n.OKRES AS period,
       n.KOD_SKL AS code,
       s.NAZWA_SKL AS component,
       s.JEDN AS unit,
       s.PODSTAWA AS basis,
       n.ILOSC AS quantity,
       n.STAWKA AS rate,
       n.KWOTA AS amount,
       n.KWOTA_VAT AS vat,
       s.VAT_PROC AS vat_rate
FROM NALICZENIA n
JOIN SKLADNIKI s ON s.KOD_SKL = n.KOD_SKL
WHERE n.ID_LOK = :premises
  AND n.OKRES >= :date_from
  AND n.OKRES <= :date_to
  AND EXISTS (SELECT 1 FROM PRZYDZIALY p
              WHERE p.ID_OS = :resident AND p.ID_LOK = n.ID_LOK
                AND n.OKRES >= p.DATA_OD
                AND (p.DATA_DO IS NULL OR n.OKRES <= p.DATA_DO))
ORDER BY n.KOD_SKL, n.OKRES
