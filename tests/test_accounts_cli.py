"""The staff CLI: `gateway accounts ...` and `gateway residents find`.

What room 4 relies on: a slip with login and start password printed once,
resets that end every session, clear one-line errors, the audit naming the
operator and never the password.
"""

from __future__ import annotations

import csv
import getpass
import html
import json
import re
import sqlite3
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from argon2 import PasswordHasher
from conftest import STRONG_PASSWORD

FAILED = "Nieprawidłowy login lub hasło"
AMBIGUOUS = set("0O1lI")
START_RE = re.compile(r"^[a-z0-9]{4}(-[a-z0-9]{4}){3}$")


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def path_of(response) -> str:
    return urlsplit(response.location).path


def ok(result):
    assert result.exit_code == 0, (result.output, result.stderr)
    return result


def one_line_error(result, *needles: str) -> None:
    assert result.exit_code != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("błąd:")
    for needle in needles:
        assert needle in lines[0]
    assert "Traceback" not in result.output


def slip_field(output: str, label: str) -> str:
    match = re.search(rf"^{label}:\s+(\S+)\s*$", output, re.M)
    assert match, output
    return match.group(1)


def store_dump(store_sql) -> str:
    """Every value of every table of the store, as text."""
    tables = [r[0] for r in store_sql("SELECT name FROM sqlite_master WHERE type = 'table'")]
    return "\n".join(str(value) for table in tables
                     for row in store_sql(f"SELECT * FROM {table}")  # noqa: S608 - own names
                     for value in tuple(row))


def active_residents(demo_sql) -> set[str]:
    today = date.today().isoformat()
    return {str(r[0]) for r in demo_sql(
        "SELECT DISTINCT ID_OS FROM PRZYDZIALY WHERE DATA_OD <= ?"
        " AND (DATA_DO IS NULL OR DATA_DO >= ?)", (today, today))}


# ---- create ----------------------------------------------------------------------

def test_create_prints_a_slip_that_logs_in(runner, auth, client, store_sql, audit_rows):
    result = ok(runner.invoke(["accounts", "create", "1"]))
    login = slip_field(result.stdout, "Login")
    start = slip_field(result.stdout, "Hasło startowe")
    assert slip_field(result.stdout, "Mieszkaniec") == "1"
    expires = slip_field(result.stdout, "Ważne do")
    assert expires == (date.today() + timedelta(days=14)).isoformat() or \
        expires == (datetime.now(UTC) + timedelta(days=14)).date().isoformat()
    assert result.stdout.count(start) == 1
    assert START_RE.match(start) and not set(start) & AMBIGUOUS
    assert start not in store_dump(store_sql)
    assert PasswordHasher().verify(
        store_sql("SELECT password_hash FROM accounts WHERE login = ?", (login,))[0][0], start)

    response = auth.login(login, start)
    assert response.status_code == 302 and path_of(response) == "/haslo"

    row = audit_rows("staff_create")[0]
    assert row["login"] == login and row["actor"] == getpass.getuser()
    assert "resident=1" in row["detail"]


def test_create_json(runner):
    result = ok(runner.invoke(["accounts", "create", "2", "--json"]))
    slip = json.loads(result.stdout)
    assert set(slip) == {"login", "start_password", "resident", "expires"}
    assert slip["resident"] == "2"
    assert not set(slip["start_password"]) & AMBIGUOUS
    assert START_RE.match(slip["start_password"])
    assert date.fromisoformat(slip["expires"]) > date.today()


def test_create_with_own_login(runner, auth):
    result = ok(runner.invoke(["accounts", "create", "4", "--login", "Lucja.W", "--json"]))
    slip = json.loads(result.stdout)
    assert slip["login"] == "lucja.w"
    # Login is case-insensitive at the form.
    assert path_of(auth.login("LUCJA.W", slip["start_password"])) == "/haslo"


def test_create_for_unknown_resident_fails(runner, store_sql):
    result = runner.invoke(["accounts", "create", "999999"])
    one_line_error(result, "999999")
    assert "nie ma mieszkańca" in result.stderr
    assert store_sql("SELECT COUNT(*) FROM accounts")[0][0] == 0


def test_create_twice_fails(runner, store_sql):
    ok(runner.invoke(["accounts", "create", "1"]))
    result = runner.invoke(["accounts", "create", "1"])
    one_line_error(result, "ma już konto")
    assert store_sql("SELECT COUNT(*) FROM accounts")[0][0] == 1


def test_create_with_taken_login_fails(runner):
    ok(runner.invoke(["accounts", "create", "1", "--login", "kowalski"]))
    one_line_error(runner.invoke(["accounts", "create", "2", "--login", "kowalski"]),
                   "zajęty")


# ---- reset -----------------------------------------------------------------------

def test_reset(app, runner, auth, client, store_sql, audit_rows):
    login = auth.resident(1)
    second = app.test_client()
    auth.login(login, STRONG_PASSWORD, client=second)
    store_sql("UPDATE accounts SET failures = 2, first_failure = ? WHERE login = ?",
              (datetime.now(UTC).isoformat(), login))

    result = ok(runner.invoke(["accounts", "reset", login]))
    start = slip_field(result.stdout, "Hasło startowe")
    assert result.stdout.count(start) == 1
    assert START_RE.match(start) and not set(start) & AMBIGUOUS

    row = store_sql("SELECT * FROM accounts WHERE login = ?", (login,))[0]
    assert row["must_change"] == 1 and row["failures"] == 0
    expires = datetime.fromisoformat(row["start_expires"])
    assert abs(expires - (datetime.now(UTC) + timedelta(days=14))) < timedelta(minutes=5)
    assert row["password_hash"].startswith("$argon2id$")
    assert PasswordHasher().verify(row["password_hash"], start)
    assert start not in store_dump(store_sql)
    assert store_sql("SELECT COUNT(*) FROM sessions WHERE account_id = ?",
                     (row["id"],))[0][0] == 0

    # Every session of the account is gone.
    for browser in (client, second):
        response = browser.get("/dane-osobowe")
        assert response.status_code == 302 and path_of(response) == "/logowanie"
    # The old password is dead; the new start password opens only the change form.
    assert FAILED in text(auth.login(login, STRONG_PASSWORD))
    assert path_of(auth.login(login, start)) == "/haslo"
    assert path_of(client.get("/czynsz")) == "/haslo"

    audit = audit_rows("staff_reset")
    assert len(audit) == 1
    assert audit[0]["login"] == login and audit[0]["actor"] == getpass.getuser()
    assert "sessions_revoked=2" in audit[0]["detail"]
    for entry in audit_rows():
        assert start not in " ".join(str(v) for v in entry.values())
        assert STRONG_PASSWORD not in " ".join(str(v) for v in entry.values())


def test_reset_json_and_twice_only_last_works(runner, auth):
    login, first = auth.create(1)
    one = json.loads(ok(runner.invoke(["accounts", "reset", login, "--json"])).stdout)
    two = json.loads(ok(runner.invoke(["accounts", "reset", login, "--json"])).stdout)
    assert set(one) == {"login", "start_password", "resident", "expires"}
    assert len({first, one["start_password"], two["start_password"]}) == 3
    assert FAILED in text(auth.login(login, first))
    assert FAILED in text(auth.login(login, one["start_password"]))
    assert path_of(auth.login(login, two["start_password"])) == "/haslo"


@pytest.mark.settings({"security.max_failures": "3"})
def test_reset_unlocks_a_locked_out_account(auth, runner):
    login, start = auth.create(1)
    for _ in range(3):
        auth.login(login, "zle haslo zle haslo")
    assert "czasowo zablokowane" in text(auth.login(login, start))
    new = json.loads(ok(runner.invoke(["accounts", "reset", login, "--json"])).stdout)
    assert path_of(auth.login(login, new["start_password"])) == "/haslo"


# ---- lock / unlock / show / list -------------------------------------------------

def test_lock_and_unlock(runner, auth, client, audit_rows):
    login = auth.resident(1)
    auth.logout()
    result = ok(runner.invoke(["accounts", "lock", login]))
    assert login in result.stdout
    response = auth.login(login, STRONG_PASSWORD)
    assert response.status_code == 403 and "zablokowane przez spółdzielnię" in text(response)
    assert json.loads(ok(runner.invoke(["accounts", "show", login, "--json"])).stdout)["locked"]

    ok(runner.invoke(["accounts", "unlock", login]))
    assert path_of(auth.login(login, STRONG_PASSWORD)) == "/pulpit"
    for event in ("staff_lock", "staff_unlock"):
        rows = audit_rows(event)
        assert [(r["login"], r["actor"]) for r in rows] == [(login, getpass.getuser())]


def test_show(runner, auth):
    login, start = auth.create(3)
    info = json.loads(ok(runner.invoke(["accounts", "show", login, "--json"])).stdout)
    assert info["login"] == login and info["resident"] == "3"
    assert info["must_change"] is True and info["locked"] is False
    assert info["last_login"] is None
    assert not any("hash" in key or "password" in key for key in info)
    human = ok(runner.invoke(["accounts", "show", login])).stdout
    assert login in human and "$argon2" not in human and start not in human
    auth.login(login, start)
    info = json.loads(ok(runner.invoke(["accounts", "show", login, "--json"])).stdout)
    assert info["last_login"] is not None


def test_list_filters(runner, auth):
    first = auth.resident(1)                 # has logged in
    second, _ = auth.create(2)               # never logged in
    third, _ = auth.create(3)                # never logged in, locked
    ok(runner.invoke(["accounts", "lock", third]))

    def logins(*options: str) -> set[str]:
        found = json.loads(ok(runner.invoke(["accounts", "list", "--json", *options])).stdout)
        return {a["login"] for a in found}

    assert logins() == {first, second, third}
    assert logins("--locked") == {third}
    assert logins("--never-logged-in") == {second, third}
    assert logins("--locked", "--never-logged-in") == {third}
    human = ok(runner.invoke(["accounts", "list", "--locked"])).stdout
    assert third in human and first not in human and "Razem: 1" in human


@pytest.mark.parametrize("command", ["reset", "lock", "unlock", "show"])
def test_unknown_login_is_a_one_line_error(runner, command):
    result = runner.invoke(["accounts", command, "nikt-taki"])
    one_line_error(result, "nikt-taki")


# ---- issue -----------------------------------------------------------------------

def test_issue_all(runner, auth, demo_sql, store_sql, tmp_path, monkeypatch):
    existing, _ = auth.create(1)
    expected = active_residents(demo_sql) - {"1"}
    assert len(expected) > 5
    work = tmp_path / "biuro"
    work.mkdir()
    monkeypatch.chdir(work)

    result = ok(runner.invoke(["accounts", "issue", "--all", "--out", "kartki"]))
    assert f"Założono {len(expected)} kont" in result.stdout
    with (work / "kartki.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle, delimiter=";"))
    assert rows[0] == ["mieszkaniec", "nazwa", "adres", "login", "haslo_startowe", "wazne_do"]
    table = rows[1:]
    assert sorted(r[0] for r in table) == sorted(expected)  # one per active resident
    slips = [s for s in (work / "kartki.txt").read_text("utf-8").split("\f") if s.strip()]
    assert len(slips) == len(expected)
    for row in table:
        login, start = row[3], row[4]
        assert not set(start) & AMBIGUOUS
        matching = [s for s in slips if login in s]
        assert len(matching) == 1 and start in matching[0] and row[1] in matching[0]
    # The slip of Jan Kowalski's neighbour logs in.
    sample = table[0]
    assert path_of(auth.login(sample[3], sample[4])) == "/haslo"
    accounts = {r[0]: r[1] for r in store_sql("SELECT resident, login FROM accounts")}
    assert set(accounts) == expected | {"1"}
    assert accounts["1"] == existing
    assert not any(r[4] in store_dump(store_sql) for r in table)

    again = ok(runner.invoke(["accounts", "issue", "--all", "--out", "drugie"]))
    assert "Założono 0 kont" in again.stdout
    with (work / "drugie.csv").open(encoding="utf-8-sig", newline="") as handle:
        assert len(list(csv.reader(handle, delimiter=";"))) == 1
    assert store_sql("SELECT COUNT(*) FROM accounts")[0][0] == len(expected) + 1


def test_issue_leaves_out_former_residents(runner, demo_sql, store_sql, tmp_path, monkeypatch):
    everyone = {str(r[0]) for r in demo_sql("SELECT DISTINCT ID_OS FROM PRZYDZIALY")}
    former = everyone - active_residents(demo_sql)
    monkeypatch.chdir(tmp_path)
    ok(runner.invoke(["accounts", "issue", "--all", "--out", "k"]))
    created = {r[0] for r in store_sql("SELECT resident FROM accounts")}
    assert not created & former


# ---- backup ----------------------------------------------------------------------

def test_backup_copy_holds_the_accounts(runner, auth, tmp_path):
    logins = {auth.create(resident)[0] for resident in (1, 2)}
    target = tmp_path / "kopie" / "konta.sqlite3"
    result = ok(runner.invoke(["accounts", "backup", str(target)]))
    assert str(target) in result.stdout
    conn = sqlite3.connect(target)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert {r[0] for r in conn.execute("SELECT login FROM accounts")} == logins
    finally:
        conn.close()


# ---- residents find --------------------------------------------------------------

def find(runner, needle: str) -> list[dict]:
    return json.loads(ok(runner.invoke(["residents", "find", needle, "--json"])).stdout)


@pytest.mark.parametrize("needle", ["żółtowski", "ŻÓŁTOWSKI", "Żółtowski-Źdźbło", "zoltowski",
                                    "źdźbło"])
def test_find_by_surname_any_case(runner, needle):
    found = find(runner, needle)
    assert [str(item["resident"]) for item in found] == ["3"]
    assert found[0]["name"] == "Zbigniew Żółtowski-Źdźbło"
    assert found[0]["address"]


def test_find_result_shape_and_account(runner, auth):
    login, _ = auth.create(1)
    found = find(runner, "Kowalski")
    jan = [item for item in found if str(item["resident"]) == "1"]
    assert len(jan) == 1
    assert {"resident", "name", "address"} <= set(jan[0])
    assert jan[0]["name"] == "Jan Kowalski"
    assert jan[0]["account"] == login
    assert len(jan[0]["premises"]) >= 2  # the flat and the garage
    human = ok(runner.invoke(["residents", "find", "kowalski"])).stdout
    assert "Jan Kowalski" in human and login in human


def test_find_by_street(runner, demo_sql):
    street = demo_sql(
        "SELECT b.ULICA FROM PRZYDZIALY p JOIN LOKALE l ON l.ID_LOK = p.ID_LOK"
        " JOIN BUDYNKI b ON b.ID_BUD = l.ID_BUD WHERE p.ID_OS = 1 AND l.RODZ_LOK = 'M'")[0][0]
    expected = {str(r[0]) for r in demo_sql(
        "SELECT DISTINCT p.ID_OS FROM PRZYDZIALY p JOIN LOKALE l ON l.ID_LOK = p.ID_LOK"
        " JOIN BUDYNKI b ON b.ID_BUD = l.ID_BUD WHERE b.ULICA = ?", (street,))}
    found = find(runner, street.lower())
    residents = {str(item["resident"]) for item in found}
    assert "1" in residents
    assert expected <= residents


def test_find_by_premises_number(runner, demo_sql):
    register_no = demo_sql(
        "SELECT l.NR_EWID FROM PRZYDZIALY p JOIN LOKALE l ON l.ID_LOK = p.ID_LOK"
        " WHERE p.ID_OS = 1 AND l.RODZ_LOK = 'M'")[0][0]
    holders = {str(r[0]) for r in demo_sql(
        "SELECT DISTINCT p.ID_OS FROM PRZYDZIALY p JOIN LOKALE l ON l.ID_LOK = p.ID_LOK"
        " WHERE l.NR_EWID = ?", (register_no,))}
    found = find(runner, register_no)
    assert {str(item["resident"]) for item in found} == holders
    assert all(register_no in item["premises"] for item in found)


def test_find_nothing(runner):
    assert find(runner, "Nieistniejącynazwisko") == []
    result = ok(runner.invoke(["residents", "find", "Nieistniejącynazwisko"]))
    assert "Nie znaleziono." in result.stdout
