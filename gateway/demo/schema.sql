-- Demo billing database: the shape of a typical Polish cooperative's legacy
-- billing program (upper-case abbreviated names, history tables, NULLs).
-- Portable DDL: the same statements load into SQLite, PostgreSQL and MariaDB.
-- Statements are separated by ';' at the end of a line.
-- Money is DECIMAL(12,2); meter states DECIMAL(12,3); rates DECIMAL(10,4).

-- Buildings (budynki).
CREATE TABLE BUDYNKI (
    ID_BUD      INTEGER NOT NULL PRIMARY KEY,
    NR_BUD_EW   VARCHAR(10) NOT NULL,      -- building number in the register, e.g. '07'
    ULICA       VARCHAR(60) NOT NULL,      -- street, with the prefix: 'ul. Lipowa'
    NR_DOMU     VARCHAR(10) NOT NULL,
    KOD_POCZT   VARCHAR(6) NOT NULL,
    MIASTO      VARCHAR(40) NOT NULL,
    WINDA       CHAR(1) NOT NULL           -- 'T' lift present, 'N' no lift
);

-- Persons (osoby): residents, co-owners, tenants.
CREATE TABLE OSOBY (
    ID_OS       INTEGER NOT NULL PRIMARY KEY,
    NAZWISKO    VARCHAR(60) NOT NULL,
    IMIE        VARCHAR(40),               -- NULL for a company (commercial tenant)
    NAZWA_FIRMY VARCHAR(120),              -- set for companies only
    PESEL       VARCHAR(11),
    NR_CZL      VARCHAR(12),               -- membership number; NULL = not a member
    ADR_KORESP  VARCHAR(160),              -- correspondence address when different
    TELEFON     VARCHAR(20),
    EMAIL       VARCHAR(80),
    DATA_WPROW  DATE                       -- when the record was entered
);

-- Premises (lokale): flats (M), garages (G), commercial premises (U).
CREATE TABLE LOKALE (
    ID_LOK      INTEGER NOT NULL PRIMARY KEY,
    ID_BUD      INTEGER NOT NULL,
    NR_LOK      VARCHAR(10) NOT NULL,      -- number within the building
    NR_EWID     VARCHAR(20) NOT NULL,      -- register number '07-0012'
    RODZ_LOK    CHAR(1) NOT NULL,          -- M / G / U
    POW_UZYT    DECIMAL(8,2) NOT NULL,     -- usable area, m2
    LICZBA_POK  INTEGER,                   -- rooms; NULL for garages
    PIETRO      INTEGER,
    LICZ_WODY   CHAR(1) NOT NULL           -- 'T' water meters, 'N' flat rate per person
);
CREATE INDEX IX_LOKALE_BUD ON LOKALE (ID_BUD);

-- Titles to premises (słownik tytułów prawnych).
CREATE TABLE TYTULY (
    KOD_TYT     VARCHAR(4) NOT NULL PRIMARY KEY,
    NAZWA_TYT   VARCHAR(80) NOT NULL
);

-- Assignments (przydziały) of persons to premises, with history.
-- DATA_DO NULL = still active. Several persons may share one premises.
CREATE TABLE PRZYDZIALY (
    ID_PRZ      INTEGER NOT NULL PRIMARY KEY,
    ID_OS       INTEGER NOT NULL,
    ID_LOK      INTEGER NOT NULL,
    KOD_TYT     VARCHAR(4) NOT NULL,
    DATA_OD     DATE NOT NULL,
    DATA_DO     DATE,
    UDZIAL      VARCHAR(10),               -- share, e.g. '1/2'; NULL = whole
    LICZBA_OS   INTEGER NOT NULL           -- persons declared in the premises
);
CREATE INDEX IX_PRZ_OS ON PRZYDZIALY (ID_OS, ID_LOK);
CREATE INDEX IX_PRZ_LOK ON PRZYDZIALY (ID_LOK, DATA_OD);

-- Rent components (składniki opłat) dictionary.
CREATE TABLE SKLADNIKI (
    KOD_SKL     VARCHAR(6) NOT NULL PRIMARY KEY,
    NAZWA_SKL   VARCHAR(80) NOT NULL,
    JEDN        VARCHAR(8) NOT NULL,       -- 'm2', 'm3', 'os.', 'lok.'
    PODSTAWA    VARCHAR(40) NOT NULL,      -- basis: 'pow. użytkowa', 'liczba osób', ...
    RODZ_KONTA  VARCHAR(3) NOT NULL,       -- account kind it is charged to
    VAT_PROC    DECIMAL(5,2)               -- NULL = exempt
);

-- Rates (stawki) valid from a date, per building; CZLONEK 'N' = non-member rate.
CREATE TABLE STAWKI (
    ID_STAWKI   INTEGER NOT NULL PRIMARY KEY,
    ID_BUD      INTEGER NOT NULL,
    KOD_SKL     VARCHAR(6) NOT NULL,
    CZLONEK     CHAR(1),                   -- 'T', 'N' or NULL = both
    STAWKA      DECIMAL(10,4) NOT NULL,
    DATA_OD     DATE NOT NULL
);
CREATE INDEX IX_STAWKI_BUD ON STAWKI (ID_BUD, KOD_SKL, DATA_OD);

-- Accounts (konta rozrachunkowe) of a premises: EKS (eksploatacja),
-- MED (woda i media), ODS (odsetki). Opened per holder: a change of holder
-- closes the old accounts and opens new ones.
CREATE TABLE KONTA (
    ID_KONTA    INTEGER NOT NULL PRIMARY KEY,
    ID_LOK      INTEGER NOT NULL,
    RODZ_KONTA  VARCHAR(3) NOT NULL,
    NR_KONTA    VARCHAR(24) NOT NULL,      -- analytic number '204-07-0012-1'
    NAZWA_KONTA VARCHAR(60) NOT NULL,
    DATA_OTW    DATE NOT NULL,
    DATA_ZAMK   DATE
);
CREATE INDEX IX_KONTA_LOK ON KONTA (ID_LOK, RODZ_KONTA);

-- Opening balances (bilans otwarcia) per account and year, dated 1 January
-- (or the opening date of an account opened mid-year). Positive = debit
-- balance (the resident owes), negative = credit balance (overpaid).
CREATE TABLE SALDA_BO (
    ID_KONTA    INTEGER NOT NULL,
    DATA_BO     DATE NOT NULL,
    KWOTA_BO    DECIMAL(12,2) NOT NULL,
    PRIMARY KEY (ID_KONTA, DATA_BO)
);

-- Monthly charges (naliczenia): one row per premises, month and component.
CREATE TABLE NALICZENIA (
    ID_NAL      INTEGER NOT NULL PRIMARY KEY,
    ID_LOK      INTEGER NOT NULL,
    OKRES       DATE NOT NULL,             -- first day of the month charged
    KOD_SKL     VARCHAR(6) NOT NULL,
    ILOSC       DECIMAL(10,3) NOT NULL,    -- quantity of the basis (m2, persons, m3)
    STAWKA      DECIMAL(10,4) NOT NULL,
    KWOTA       DECIMAL(12,2) NOT NULL,    -- net amount
    KWOTA_VAT   DECIMAL(12,2)              -- NULL when exempt
);
CREATE INDEX IX_NAL_LOK_OKRES ON NALICZENIA (ID_LOK, OKRES);

-- Accounting documents (dokumenty księgowe) on an account.
-- RODZ_DOK: NAL charge, WPL payment, ODS interest, STO storno (correction of
-- an earlier document, ID_DOK_KOR points to it), ROZ utility settlement,
-- BON allowance.
CREATE TABLE DOKUMENTY (
    ID_DOK      INTEGER NOT NULL PRIMARY KEY,
    ID_KONTA    INTEGER NOT NULL,
    DATA_DOK    DATE NOT NULL,
    NR_DOK      VARCHAR(24) NOT NULL,
    RODZ_DOK    VARCHAR(3) NOT NULL,
    OPIS        VARCHAR(120),
    KWOTA_WN    DECIMAL(12,2),             -- debit; NULL when a credit document
    KWOTA_MA    DECIMAL(12,2),             -- credit; NULL when a debit document
    ID_DOK_KOR  INTEGER
);
CREATE INDEX IX_DOK_KONTA_DATA ON DOKUMENTY (ID_KONTA, DATA_DOK);

-- Document kinds dictionary.
CREATE TABLE RODZ_DOK (
    RODZ_DOK    VARCHAR(3) NOT NULL PRIMARY KEY,
    NAZWA_RODZ  VARCHAR(60) NOT NULL
);

-- Virtual bank accounts (rachunki wirtualne) per premises, with history.
CREATE TABLE RACH_WIRT (
    ID_RW       INTEGER NOT NULL PRIMARY KEY,
    ID_LOK      INTEGER NOT NULL,
    NRB         CHAR(26) NOT NULL,
    DATA_OD     DATE NOT NULL,
    DATA_DO     DATE
);
CREATE INDEX IX_RW_LOK ON RACH_WIRT (ID_LOK);

-- Media (utilities) dictionary: ZW cold water, CW hot water, CO heat.
CREATE TABLE MEDIA (
    KOD_MED     VARCHAR(3) NOT NULL PRIMARY KEY,
    NAZWA_MED   VARCHAR(60) NOT NULL,
    JEDN        VARCHAR(8) NOT NULL
);

-- Meters (liczniki / podzielniki) installed in premises.
CREATE TABLE LICZNIKI (
    ID_LICZ     INTEGER NOT NULL PRIMARY KEY,
    ID_LOK      INTEGER NOT NULL,
    KOD_MED     VARCHAR(3) NOT NULL,
    NR_FABR     VARCHAR(20) NOT NULL,      -- serial number
    MIEJSCE     VARCHAR(40),               -- 'kuchnia', 'łazienka', 'pokój 1'
    DATA_MONT   DATE NOT NULL,
    DATA_DEMONT DATE                       -- set when replaced
);
CREATE INDEX IX_LICZ_LOK ON LICZNIKI (ID_LOK, KOD_MED);

-- Meter readings (odczyty). RODZ_ODCZ: O regular, S estimated (szacunek),
-- W reading at a meter replacement (wymiana). NR_DOK groups the readings of
-- one reading document (one visit).
CREATE TABLE ODCZYTY (
    ID_ODCZ     INTEGER NOT NULL PRIMARY KEY,
    ID_LICZ     INTEGER NOT NULL,
    NR_DOK      VARCHAR(24) NOT NULL,
    DATA_ODCZ   DATE NOT NULL,
    STAN_POPRZ  DECIMAL(12,3),             -- NULL for a first reading
    STAN_AKT    DECIMAL(12,3) NOT NULL,
    ZUZYCIE     DECIMAL(12,3),
    RODZ_ODCZ   CHAR(1) NOT NULL
);
CREATE INDEX IX_ODCZ_LICZ_DATA ON ODCZYTY (ID_LICZ, DATA_ODCZ);

-- Utility settlements (rozliczenia mediów): advances paid vs actual cost for
-- a settlement period. ROZNICA = KOSZT - ZALICZKI: > 0 underpayment
-- (niedopłata), < 0 overpayment (nadpłata). Posted on account ID_KONTA as a
-- ROZ document with the same NR_DOK.
CREATE TABLE ROZL_MED (
    ID_ROZL     INTEGER NOT NULL PRIMARY KEY,
    ID_LOK      INTEGER NOT NULL,
    ID_KONTA    INTEGER NOT NULL,
    KOD_MED     VARCHAR(3) NOT NULL,
    NR_DOK      VARCHAR(24) NOT NULL,
    DATA_ROZL   DATE NOT NULL,
    OKRES_OD    DATE NOT NULL,
    OKRES_DO    DATE NOT NULL,
    ZUZYCIE     DECIMAL(12,3),
    ZALICZKI    DECIMAL(12,2) NOT NULL,
    KOSZT       DECIMAL(12,2) NOT NULL,
    ROZNICA     DECIMAL(12,2) NOT NULL
);
CREATE INDEX IX_ROZL_KONTA_DATA ON ROZL_MED (ID_KONTA, DATA_ROZL);
CREATE INDEX IX_ROZL_LOK ON ROZL_MED (ID_LOK, DATA_ROZL);
