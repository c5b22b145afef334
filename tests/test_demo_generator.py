"""The demo billing-database generator: consistency, scenario, determinism, ODBC targets."""

from __future__ import annotations

import os
import sqlite3
from collections import defaultdict
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest

from gateway.demo.generate import COLUMNS, build
from gateway.demo.loader import read_schema

ARGS = {"premises": 120, "years": 3, "seed": 7, "until": date(2026, 10, 1)}
START, END = date(2024, 1, 1), date(2026, 10, 31)
CENT = Decimal("0.01")
MONEY_COLUMNS = {
    "NALICZENIA": ("KWOTA", "KWOTA_VAT"), "DOKUMENTY": ("KWOTA_WN", "KWOTA_MA"),
    "SALDA_BO": ("KWOTA_BO",), "ROZL_MED": ("ZALICZKI", "KOSZT", "ROZNICA"),
    "STAWKI": ("STAWKA",), "LOKALE": ("POW_UZYT",), "ODCZYTY": ("STAN_AKT", "ZUZYCIE"),
}


def dec(value) -> Decimal | None:
    """SQLite hands DECIMAL columns back as float: its repr is the exact decimal."""
    return None if value is None else Decimal(str(value))


def day(value) -> date | None:
    return None if value is None else date.fromisoformat(str(value)[:10])


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, ROUND_HALF_UP)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    path = tmp_path_factory.mktemp("demo") / "billing.sqlite"
    messages: list[str] = []
    summary = build(f"sqlite:{path}", progress=messages.append, **ARGS)
    return path, summary, messages


@pytest.fixture(scope="module")
def db(built):
    conn = sqlite3.connect(f"{built[0].as_uri()}?mode=ro", uri=True)
    yield conn
    conn.close()


def rows(db, sql, *params):
    return db.execute(sql, params).fetchall()


# ---- the build itself ----------------------------------------------------------

def test_summary_counts_match_database(built, db):
    path, summary, messages = built
    assert summary["seconds"] >= 0 and summary["dialect"] == "sqlite"
    assert summary["first_month"] == "2024-01-01" and summary["until"] == "2026-10-01"
    assert set(summary["rows"]) == set(COLUMNS)
    for table, count in summary["rows"].items():
        assert count > 0, table
        assert rows(db, f"SELECT COUNT(*) FROM {table}")[0][0] == count, table
    assert messages and messages[-1].startswith("done")
    assert not [p for p in path.parent.iterdir() if p.name != path.name]   # no temp left


def test_all_schema_indexes_exist(db):
    wanted = set(read_schema().index_names)
    present = {r[0] for r in rows(db, "SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert wanted and wanted <= present


def test_rebuild_replaces_the_file(tmp_path):
    path = tmp_path / "x.sqlite"
    path.write_text("not a database")
    build(f"sqlite:{path}", premises=10, years=1, seed=1, until=date(2025, 3, 1))
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT COUNT(*) FROM LOKALE").fetchone()[0] == 10
    conn.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.sqlite"]


def test_rejects_too_small():
    with pytest.raises(ValueError):
        build("sqlite:/nonexistent/never.sqlite", premises=3)


# ---- realistic content ----------------------------------------------------------------

def test_premises_mix(db):
    kinds = dict(rows(db, "SELECT RODZ_LOK, COUNT(*) FROM LOKALE GROUP BY RODZ_LOK"))
    assert kinds["G"] == 12 and kinds["U"] >= 2 and kinds["M"] == 120 - kinds["G"] - kinds["U"]
    for kind, area, rooms, water in rows(db, "SELECT RODZ_LOK, POW_UZYT, LICZBA_POK, LICZ_WODY "
                                             "FROM LOKALE"):
        if kind == "M":
            assert 25 <= area <= 90 and 1 <= rooms <= 4
        elif kind == "G":
            assert 12 <= area <= 20 and rooms is None and water == "N"
    assert rows(db, "SELECT COUNT(*) FROM LOKALE WHERE RODZ_LOK = 'M' AND LICZ_WODY = 'N'")[0][0]
    assert all(len(r[0]) == 7 and r[0][2] == "-" for r in rows(db, "SELECT NR_EWID FROM LOKALE"))
    assert rows(db, "SELECT MIASTO, KOD_POCZT FROM BUDYNKI")[0] == ("Bełchatów", "97-400")


def test_persons_look_polish_and_legacy(db):
    people = rows(db, "SELECT NAZWISKO, IMIE, NAZWA_FIRMY, PESEL, NR_CZL, TELEFON, EMAIL "
                      "FROM OSOBY")
    assert any(set(p[0]) & set("ąćęłńóśźżĄĆĘŁŃÓŚŹŻ") for p in people)
    for column in (3, 4, 5, 6):
        assert any(p[column] is None for p in people) and any(p[column] for p in people)
    companies = [p for p in people if p[1] is None]
    assert companies and all(p[2] for p in companies)
    weights = (1, 3, 7, 9, 1, 3, 7, 9, 1, 3)
    for p in people:
        if p[3]:
            digits = [int(c) for c in p[3]]
            total = sum(d * w for d, w in zip(digits[:10], weights, strict=True))
            assert (10 - total % 10) % 10 == digits[10]


def test_virtual_accounts_valid_nrb(db):
    accounts = rows(db, "SELECT ID_LOK, NRB, DATA_OD, DATA_DO FROM RACH_WIRT "
                        "ORDER BY ID_LOK, DATA_OD")
    assert {r[0] for r in accounts} == set(range(1, 121))
    for id_lok, nrb, _, _ in accounts:
        assert len(nrb) == 26 and nrb.isdigit()
        assert int(nrb[2:] + "2521" + nrb[:2]) % 97 == 1
        assert nrb[2:10] == accounts[0][1][2:10]            # one bank
        assert int(nrb[-8:]) == id_lok
    by_lok = defaultdict(list)
    for r in accounts:
        by_lok[r[0]].append(r)
    history = [v for v in by_lok.values() if len(v) > 1]
    assert history
    for items in by_lok.values():
        assert items[-1][3] is None
        for old, new in zip(items, items[1:], strict=False):
            assert day(old[3]) + timedelta(days=1) == day(new[2])


def test_assignments_consistent(db):
    kinds = dict(rows(db, "SELECT ID_LOK, RODZ_LOK FROM LOKALE"))
    groups = defaultdict(lambda: defaultdict(list))
    for id_lok, _, od, do, udzial, n_os in rows(
            db, "SELECT ID_LOK, ID_OS, DATA_OD, DATA_DO, UDZIAL, LICZBA_OS FROM PRZYDZIALY"):
        assert do is None or day(do) >= day(od)
        assert (1 <= n_os <= 5) if kinds[id_lok] == "M" else n_os == 0
        groups[id_lok][(od, do)].append(udzial)
    assert set(groups) == set(kinds)
    changed = 0
    for id_lok, periods in groups.items():
        ordered = sorted(periods, key=lambda p: p[0])
        for shares in periods.values():
            if len(shares) == 1:
                assert shares == [None]
            else:
                assert shares == [f"1/{len(shares)}"] * len(shares)
        assert ordered[-1][1] is None, id_lok                  # somebody holds it now
        for (_, do1), (od2, _) in zip(ordered, ordered[1:], strict=False):
            assert day(do1) + timedelta(days=1) == day(od2), id_lok
            changed += 1
    assert changed >= 3
    multi = rows(db, "SELECT ID_OS FROM PRZYDZIALY GROUP BY ID_OS "
                     "HAVING COUNT(DISTINCT ID_LOK) > 1")
    assert len(multi) >= 2


def test_charges_are_quantity_times_rate(db):
    vat = {k: dec(v) for k, v in rows(db, "SELECT KOD_SKL, VAT_PROC FROM SKLADNIKI")}
    kinds = dict(rows(db, "SELECT ID_LOK, RODZ_LOK FROM LOKALE"))
    for id_lok, kod, qty, rate, amount, vat_amount in rows(
            db, "SELECT ID_LOK, KOD_SKL, ILOSC, STAWKA, KWOTA, KWOTA_VAT FROM NALICZENIA"):
        assert dec(amount) == money(dec(qty) * dec(rate))
        if kinds[id_lok] in "GU":
            assert vat[kod] is not None
            assert dec(vat_amount) == money(dec(amount) * vat[kod] / 100)
        else:
            assert vat[kod] is None and vat_amount is None
    months = rows(db, "SELECT COUNT(DISTINCT OKRES), MIN(OKRES), MAX(OKRES) FROM NALICZENIA")
    assert months[0] == (34, "2024-01-01", "2026-10-01")
    per_lok = rows(db, "SELECT ID_LOK, COUNT(DISTINCT OKRES) FROM NALICZENIA GROUP BY ID_LOK")
    assert len(per_lok) == 120 and {n for _, n in per_lok} == {34}


def test_rates_used_are_valid_in_the_month(db):
    rates = defaultdict(list)
    for bud, kod, czl, rate, od in rows(db, "SELECT ID_BUD, KOD_SKL, CZLONEK, STAWKA, DATA_OD "
                                           "FROM STAWKI ORDER BY DATA_OD"):
        rates[(bud, kod, czl)].append((od, dec(rate)))
    assert any(len(v) > 1 for v in rates.values())              # rates change
    building = dict(rows(db, "SELECT ID_LOK, ID_BUD FROM LOKALE"))
    holders = defaultdict(list)
    for id_lok, od, do, nr_czl in rows(db, "SELECT p.ID_LOK, p.DATA_OD, p.DATA_DO, o.NR_CZL "
                                           "FROM PRZYDZIALY p JOIN OSOBY o ON o.ID_OS = p.ID_OS"):
        holders[id_lok].append((od, do, nr_czl))
    seen = set()
    for id_lok, okres, kod, rate in rows(db, "SELECT ID_LOK, OKRES, KOD_SKL, STAWKA "
                                             "FROM NALICZENIA"):
        czl = None
        if kod == "EKS":
            active = [h for h in holders[id_lok] if h[0] <= okres and (h[1] is None
                                                                       or h[1] >= okres)]
            assert active
            czl = "T" if any(h[2] for h in active) else "N"
            seen.add(czl)
        valid = [r for od, r in rates[(building[id_lok], kod, czl)] if od <= okres]
        assert valid and valid[-1] == dec(rate), (id_lok, okres, kod)
    assert seen == {"T", "N"}


def _accounts(db):
    return {r[0]: r for r in rows(db, "SELECT ID_KONTA, ID_LOK, RODZ_KONTA, NR_KONTA, "
                                      "DATA_OTW, DATA_ZAMK FROM KONTA")}


def test_balances_roll_forward_and_close_at_zero(db):
    accounts = _accounts(db)
    opening = defaultdict(dict)
    for acc, bo_date, amount in rows(db, "SELECT ID_KONTA, DATA_BO, KWOTA_BO FROM SALDA_BO"):
        opening[acc][day(bo_date)] = dec(amount)
    turnover = defaultdict(lambda: defaultdict(Decimal))
    last_doc = {}
    for acc, when, wn, ma in rows(db, "SELECT ID_KONTA, DATA_DOK, KWOTA_WN, KWOTA_MA "
                                      "FROM DOKUMENTY"):
        when = day(when)
        _, _, _, _, otw, zamk = accounts[acc]
        assert when >= max(day(otw), START) and (zamk is None or when <= day(zamk))
        turnover[acc][when.year] += (dec(wn) or 0) - (dec(ma) or 0)
        last_doc[acc] = max(last_doc.get(acc, when), when)
    assert set(opening) == set(accounts)
    closed = 0
    for acc, (_, _, _, _, otw, zamk) in accounts.items():
        otw, zamk = day(otw), day(zamk)
        first = max(otw, START)
        last_year = zamk.year if zamk else END.year
        expected = [first] + [date(y, 1, 1) for y in range(first.year + 1, last_year + 1)]
        assert sorted(opening[acc]) == expected, acc
        for y in range(first.year, last_year):
            start = opening[acc][first if y == first.year else date(y, 1, 1)]
            assert start + turnover[acc][y] == opening[acc][date(y + 1, 1, 1)], (acc, y)
        if zamk is not None:
            closed += 1
            start = opening[acc][expected[-1]]
            assert start + turnover[acc][zamk.year] == 0, acc
    assert closed >= 6
    kinds = {a[2] for a in accounts.values()}
    assert kinds == {"EKS", "MED", "ODS"}
    balances = [sum(v.values()) for v in opening.values()]
    assert any(b > 0 for b in balances) and any(b < 0 for b in balances)


def test_documents_match_charges(db):
    accounts = _accounts(db)
    kind_of = dict(rows(db, "SELECT KOD_SKL, RODZ_KONTA FROM SKLADNIKI"))
    charged = defaultdict(Decimal)
    for id_lok, okres, kod, amount, vat in rows(db, "SELECT ID_LOK, OKRES, KOD_SKL, KWOTA, "
                                                    "KWOTA_VAT FROM NALICZENIA"):
        charged[(id_lok, kind_of[kod], okres[:7])] += dec(amount) + (dec(vat) or 0)
    docs = {r[0]: r for r in rows(db, "SELECT ID_DOK, ID_KONTA, DATA_DOK, RODZ_DOK, KWOTA_WN, "
                                      "KWOTA_MA, ID_DOK_KOR FROM DOKUMENTY")}
    posted = defaultdict(Decimal)
    for _, acc, when, kind, wn, _, kor in docs.values():
        if kind == "NAL" or (kind == "STO" and docs[kor][3] == "NAL"):
            _, id_lok, rodz, _, _, _ = accounts[acc]
            posted[(id_lok, rodz, when[:7])] += dec(wn)
    assert posted == {k: v for k, v in charged.items() if v}
    kinds = {d[3] for d in docs.values()}
    assert kinds == {"NAL", "WPL", "ODS", "STO", "ROZ", "BON", "ZWR"}


def test_storno_convention(db):
    docs = {r[0]: r for r in rows(db, "SELECT ID_DOK, ID_KONTA, DATA_DOK, RODZ_DOK, KWOTA_WN, "
                                      "KWOTA_MA, ID_DOK_KOR, NR_DOK, OPIS FROM DOKUMENTY")}
    stornos = [d for d in docs.values() if d[3] == "STO"]
    assert stornos
    for sto in stornos:
        original = docs[sto[6]]
        assert original[0] < sto[0] and original[1] == sto[1] and original[2] <= sto[2]
        assert original[7] in sto[8]
        if original[3] == "NAL":
            assert sto[5] is None and dec(sto[4]) == -dec(original[4])
        else:
            assert original[3] == "WPL"
            assert sto[4] is None and dec(sto[5]) == -dec(original[5])
    assert all(d[6] is None for d in docs.values() if d[3] != "STO")
    for d in docs.values():
        assert (d[4] is None) != (d[5] is None)
        assert len(d[7]) <= 24 and d[7].startswith(d[3] + "/")
    assert any(d[8] is None for d in docs.values())


def test_payments_vary(db):
    late = rows(db, "SELECT COUNT(*) FROM DOKUMENTY WHERE RODZ_DOK = 'WPL' "
                    "AND CAST(substr(DATA_DOK, 9, 2) AS INTEGER) > 10")[0][0]
    assert late > 0
    assert rows(db, "SELECT COUNT(*) FROM DOKUMENTY WHERE RODZ_DOK = 'ODS'")[0][0] > 0


def test_readings_monotonic_and_consumption_right(db):
    meters = {r[0]: r for r in rows(db, "SELECT ID_LICZ, ID_LOK, KOD_MED, DATA_MONT, "
                                        "DATA_DEMONT FROM LICZNIKI")}
    readings = defaultdict(list)
    for r in rows(db, "SELECT ID_LICZ, DATA_ODCZ, STAN_POPRZ, STAN_AKT, ZUZYCIE, RODZ_ODCZ, "
                      "NR_DOK, ID_ODCZ FROM ODCZYTY ORDER BY ID_LICZ, DATA_ODCZ, ID_ODCZ"):
        readings[r[0]].append(r)
    visits = defaultdict(set)
    for meter, items in readings.items():
        _, id_lok, _, mont, demont = meters[meter]
        previous = None
        for _, when, before, now, used, rodz, nr, _ in items:
            visits[nr].add((id_lok, when))
            assert mont <= when and (demont is None or when <= demont)
            if before is None:
                assert previous is None and used is None and rodz == "W" and mont == when
            else:
                assert dec(used) == dec(now) - dec(before) and dec(now) >= dec(before)
                if previous is not None:
                    assert dec(before) == previous
            previous = dec(now)
        if demont is not None:
            assert items[-1][1] == demont and items[-1][5] == "W"
    assert all(len(v) == 1 for v in visits.values())       # one visit per document
    codes = {r[0] for r in rows(db, "SELECT DISTINCT RODZ_ODCZ FROM ODCZYTY")}
    assert codes == {"O", "S", "W"}
    places = rows(db, "SELECT DISTINCT MIEJSCE FROM LICZNIKI WHERE KOD_MED = 'ZW'")
    assert {p[0] for p in places} >= {"kuchnia", "łazienka"}


def test_settlements_match_charges_readings_and_documents(db):
    accounts = _accounts(db)
    advances = defaultdict(Decimal)
    for id_lok, okres, kod, amount in rows(db, "SELECT ID_LOK, OKRES, KOD_SKL, KWOTA "
                                               "FROM NALICZENIA WHERE KOD_SKL IN "
                                               "('ZW', 'CW', 'CO')"):
        advances[(id_lok, kod, okres)] += dec(amount)
    usage = defaultdict(list)
    for id_lok, kod, when, used in rows(db, "SELECT l.ID_LOK, l.KOD_MED, o.DATA_ODCZ, o.ZUZYCIE "
                                            "FROM ODCZYTY o JOIN LICZNIKI l "
                                            "ON l.ID_LICZ = o.ID_LICZ WHERE o.ZUZYCIE IS NOT NULL"):
        usage[(id_lok, kod)].append((when, dec(used)))
    roz = {r[0]: r for r in rows(db, "SELECT NR_DOK, ID_KONTA, DATA_DOK, KWOTA_WN, KWOTA_MA "
                                     "FROM DOKUMENTY WHERE RODZ_DOK = 'ROZ'")}
    signs = set()
    settled = rows(db, "SELECT ID_LOK, ID_KONTA, KOD_MED, NR_DOK, DATA_ROZL, OKRES_OD, OKRES_DO, "
                       "ZUZYCIE, ZALICZKI, KOSZT, ROZNICA FROM ROZL_MED")
    assert len(roz) == len(settled)
    for id_lok, acc, kod, nr, when, od, do, used, paid, cost, diff in settled:
        assert dec(diff) == dec(cost) - dec(paid)
        signs.add((dec(diff) > 0) - (dec(diff) < 0))
        assert accounts[acc][1] == id_lok and accounts[acc][2] == "MED"
        assert accounts[acc][4] <= od and (accounts[acc][5] is None or do <= accounts[acc][5])
        assert od <= do < when or when == accounts[acc][5]
        months = {k[2] for k in advances if k[0] == id_lok and od <= k[2] <= do}
        assert dec(paid) == sum(advances[(id_lok, kod, m)] for m in months)
        if kod != "CO" or used is not None:
            meters = ("ZW", "CW") if kod == "ZW" else (kod,)
            total = sum(u for k in meters for w, u in usage[(id_lok, k)] if od <= w <= do)
            assert dec(used) == total
        doc_acc, doc_date, wn, ma = roz[nr][1:]
        assert doc_acc == acc and doc_date == when
        assert (dec(wn) if dec(diff) >= 0 else -dec(ma)) == dec(diff)
    assert {1, -1} <= signs
    media = {r[0] for r in rows(db, "SELECT DISTINCT KOD_MED FROM ROZL_MED")}
    assert media == {"ZW", "CW", "CO"}


# ---- the fixed scenario -----------------------------------------------------------------

def test_scenario_persons(db):
    people = {r[0]: r for r in rows(db, "SELECT ID_OS, IMIE, NAZWISKO, NAZWA_FIRMY, NR_CZL "
                                        "FROM OSOBY WHERE ID_OS <= 5")}
    assert people[1][1:3] == ("Jan", "Kowalski") and people[1][4]
    assert people[2][1:3] == ("Anna", "Kowalska")
    assert people[3][1:3] == ("Zbigniew", "Żółtowski-Źdźbło")
    assert people[4][1:3] == ("Łucja", "Wiśniewska") and people[4][4] is None
    assert people[5][1] is None and people[5][3] == "Apteka „Pod Lipami” Sp. z o.o."

    def held(id_os):
        return rows(db, "SELECT p.ID_LOK, l.RODZ_LOK, p.DATA_OD, p.DATA_DO, p.UDZIAL "
                        "FROM PRZYDZIALY p JOIN LOKALE l ON l.ID_LOK = p.ID_LOK "
                        "WHERE p.ID_OS = ? ORDER BY p.ID_LOK", id_os)

    jan = held(1)
    assert [(r[0], r[1], r[3], r[4]) for r in jan][0] == (1, "M", None, "1/2")
    assert len(jan) == 2 and jan[1][1] == "G" and jan[1][3] is None
    assert [(r[0], r[3], r[4]) for r in held(2)] == [(1, None, "1/2")]
    (zb,) = held(3)
    (lu,) = held(4)
    assert zb[0] == lu[0] and zb[1] == "M" and lu[3] is None
    end = day(zb[3])
    assert START < end < END and (end.month, end.day) != (12, 31)
    assert day(lu[2]) == end + timedelta(days=1)
    assert abs((date(2026, 10, 1) - end).days - 365) < 45
    (shop,) = held(5)
    assert shop[1] == "U" and shop[3] is None


def test_scenario_flat_one(db):
    assert rows(db, "SELECT LICZ_WODY, RODZ_LOK FROM LOKALE WHERE ID_LOK = 1") == [("T", "M")]
    replaced = rows(db, "SELECT COUNT(*) FROM LICZNIKI WHERE ID_LOK = 1 AND KOD_MED IN "
                        "('ZW', 'CW') AND DATA_DEMONT > '2024-01-01' "
                        "AND DATA_DEMONT < '2026-10-01'")
    assert replaced[0][0] >= 2
    estimated = rows(db, "SELECT COUNT(*) FROM ODCZYTY o JOIN LICZNIKI l ON l.ID_LICZ = o.ID_LICZ "
                         "WHERE l.ID_LOK = 1 AND o.RODZ_ODCZ = 'S'")
    assert estimated[0][0] >= 1
    storno = rows(db, "SELECT COUNT(*) FROM DOKUMENTY d JOIN KONTA k ON k.ID_KONTA = d.ID_KONTA "
                      "WHERE k.ID_LOK = 1 AND d.RODZ_DOK = 'STO'")
    assert storno[0][0] >= 1
    over = rows(db, "SELECT COUNT(*) FROM ROZL_MED WHERE ID_LOK = 1 AND ROZNICA < 0")
    assert over[0][0] >= 1


# ---- determinism -----------------------------------------------------------------------

def _dump(path: Path) -> dict[str, list]:
    conn = sqlite3.connect(path)
    data = {t: conn.execute(f"SELECT * FROM {t} ORDER BY 1, 2").fetchall() for t in COLUMNS}
    conn.close()
    return data


def test_deterministic(built, tmp_path):
    again = tmp_path / "again.sqlite"
    build(f"sqlite:{again}", **ARGS)
    assert _dump(again) == _dump(built[0])
    other = tmp_path / "other.sqlite"
    build(f"sqlite:{other}", **{**ARGS, "seed": 8})
    first, second = _dump(built[0]), _dump(other)
    assert first["OSOBY"] != second["OSOBY"] and first["NALICZENIA"] != second["NALICZENIA"]


# ---- the same data through ODBC into PostgreSQL and MariaDB ------------------------------

SERVERS = {
    "postgresql": ("DRIVER={PostgreSQL Unicode};SERVER=127.0.0.1;PORT=5432;UID=postgres;"
                   "DATABASE=", "postgres"),
    "mariadb": ("DRIVER={MariaDB Unicode};SERVER=127.0.0.1;PORT=3306;UID=root;PWD=;"
                "CHARSET=utf8mb4;DATABASE=", "mysql"),
}


def _unavailable(reason: str):
    if os.environ.get("CI") == "true":
        pytest.fail(f"ODBC test cannot run in CI: {reason}")
    pytest.skip(reason)


def _sums(cursor) -> dict:
    result = {}
    for table, columns in MONEY_COLUMNS.items():
        cursor.execute(f"SELECT {', '.join(columns)} FROM {table}")
        totals = [Decimal(0)] * len(columns)
        for row in cursor.fetchall():
            totals = [t + (Decimal(str(v)) if v is not None else 0)
                      for t, v in zip(totals, row, strict=True)]
        result[table] = [t.normalize() for t in totals]
    return result


@pytest.mark.odbc
@pytest.mark.parametrize("server", sorted(SERVERS))
def test_odbc_load_matches_sqlite(server, built, db):
    try:
        import pyodbc
    except ImportError as exc:
        _unavailable(f"pyodbc cannot be imported: {exc}")
    prefix, admin_db = SERVERS[server]
    try:
        admin = pyodbc.connect(prefix + admin_db, autocommit=True, timeout=5)
    except pyodbc.Error as exc:
        _unavailable(f"{server} on 127.0.0.1 is unreachable: {exc}")
    name = f"demo_gen_test_{os.getpid()}"
    cursor = admin.cursor()
    if server == "postgresql":
        cursor.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        cursor.execute(f"CREATE DATABASE {name} ENCODING 'UTF8' TEMPLATE template0")
    else:
        cursor.execute(f"DROP DATABASE IF EXISTS {name}")
        cursor.execute(f"CREATE DATABASE {name} CHARACTER SET utf8mb4")
    try:
        summary = build(prefix + name, **ARGS)
        assert summary["rows"] == built[1]["rows"]
        assert summary["dialect"] == server
        conn = pyodbc.connect(prefix + name, autocommit=True, timeout=5)
        try:
            remote = conn.cursor()
            for table, count in built[1]["rows"].items():
                remote.execute(f"SELECT COUNT(*) FROM {table}")
                assert remote.fetchone()[0] == count, table
            assert _sums(remote) == _sums(db.cursor())
            remote.execute("SELECT NAZWISKO, NAZWA_FIRMY FROM OSOBY WHERE ID_OS IN (3, 5) "
                           "ORDER BY ID_OS")
            assert [tuple(r) for r in remote.fetchall()] == [
                ("Żółtowski-Źdźbło", None),
                ("Apteka „Pod Lipami” Sp. z o.o.", "Apteka „Pod Lipami” Sp. z o.o.")]
            remote.execute("SELECT DATA_DO FROM PRZYDZIALY WHERE ID_OS = 3")
            assert str(remote.fetchone()[0])[:10] == \
                rows(db, "SELECT DATA_DO FROM PRZYDZIALY WHERE ID_OS = 3")[0][0]
            indexes = set(read_schema().index_names)
            if server == "postgresql":
                remote.execute("SELECT indexname FROM pg_indexes WHERE schemaname = 'public'")
            else:
                remote.execute("SELECT DISTINCT INDEX_NAME FROM information_schema.STATISTICS "
                               "WHERE TABLE_SCHEMA = DATABASE()")
            present = {r[0].upper() for r in remote.fetchall()}
            assert indexes <= present
        finally:
            conn.close()
    finally:
        if server == "postgresql":
            cursor.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        else:
            cursor.execute(f"DROP DATABASE IF EXISTS {name}")
        admin.close()
