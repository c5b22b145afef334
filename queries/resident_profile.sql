-- resident_profile: the logged-in resident's personal data (one row).
-- params: resident
-- columns: resident int, first_name text, last_name text, company text, member_no text, correspondence_address text, phone text, email text
SELECT o.ID_OS AS resident,
       o.IMIE AS first_name,
       o.NAZWISKO AS last_name,
       o.NAZWA_FIRMY AS company,
       o.NR_CZL AS member_no,
       o.ADR_KORESP AS correspondence_address,
       o.TELEFON AS phone,
       o.EMAIL AS email
FROM OSOBY o
WHERE o.ID_OS = :resident
