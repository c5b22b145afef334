"""Passwords: the policy a resident meets on /haslo, hashing, start passwords.

SECURITY.md 4–6: the start password only opens the change form and expires;
the new password is 15–128 characters of anything, not common, not built
from the login, name, street or cooperative; never truncated; hashed with a
per-account salt and upgraded when the argon2 parameters grow.
"""

from __future__ import annotations

import re

import pytest
from argon2 import PasswordHasher
from conftest import STRONG_PASSWORD, Auth, path_of, text

from gateway import create_app

# 74 characters of unrelated words; the 70-character cut ends inside a word.
SEVENTY = "stary zegar na wieży ratusza wybija północ a sowy krążą nad rynkiem miasta"[:70]
LONG_PHRASE = ("żurawie lecą nad torfowiskiem kiedy listopadowy deszcz bębni o blaszany "
               "dach starej stodoły w dolinie rzeki pilicy tuż za ciemnym lasem")
PASSPHRASE = "żółty kot śpi pod starą gruszą"
FAILED = "Nieprawidłowy login lub hasło"
CONTEXT_REASON = ("zbudowane z Twojego loginu, imienia, nazwiska, ulicy, numeru domu lub nazwy "
                  "spółdzielni")
LOGIN_REASON = "nie może zawierać Twojego loginu ani jego części"
START_RE = re.compile(r"^[acdefghjkmnpqrstuvwxy34679]{4}(-[acdefghjkmnpqrstuvwxy34679]{4}){3}$")



def stored_hash(store_sql, login: str) -> str:
    return store_sql("SELECT password_hash FROM accounts WHERE login = ?", (login,))[0][0]


@pytest.fixture
def starting(auth) -> tuple[str, str]:
    """Resident 1 with a fresh account, logged in with the start password."""
    login, start = auth.create(1)
    response = auth.login(login, start)
    assert response.status_code == 302 and path_of(response) == "/haslo"
    return login, start


def assert_refused(auth, client, response, reason: str) -> None:
    assert response.status_code == 422
    assert reason in text(response)
    # Still the start password: the data stays behind the change form.
    still = client.get("/dane-osobowe")
    assert still.status_code == 302 and path_of(still) == "/haslo"


# ---- refusals, each with its Polish reason --------------------------------------

@pytest.mark.parametrize(("new", "reason"), [
    pytest.param("Krótkie1!abcde", "co najmniej 15 znaków (ma 14)", id="14-chars"),
    pytest.param(LONG_PHRASE[:129], "najwyżej 128 znaków", id="129-chars"),
    pytest.param("qwerty123456!!!", "na liście popularnych haseł", id="qwerty123456!!!"),
    pytest.param("zaq12wsxcde3!!!", "na liście popularnych haseł", id="zaq12wsxcde3!!!"),
    pytest.param("QWERTY123456789", "na liście popularnych haseł", id="common-any-case"),
    pytest.param("Przykładowa przykładowa 7", CONTEXT_REASON, id="cooperative-name"),
    pytest.param("Spółdzielnia Mieszkaniowa 2024", CONTEXT_REASON, id="cooperative-words"),
])
def test_policy_refuses_with_reason(auth, client, starting, new, reason):
    _, start = starting
    assert_refused(auth, client, auth.change_password(start, new), reason)


def test_new_password_equal_to_start_password_is_refused(auth, client, starting):
    _, start = starting
    assert_refused(auth, client, auth.change_password(start, start),
                   "Nowe hasło nie może być hasłem startowym")


def test_confirmation_mismatch_is_refused(auth, client, starting):
    _, start = starting
    response = auth.change_password(start, PASSPHRASE, confirm=PASSPHRASE + "!")
    assert_refused(auth, client, response, "Nowe hasło i jego powtórzenie różnią się.")


def test_wrong_current_password_is_refused(auth, client, starting, store_sql):
    # Ten minutes after the login the start password is asked for again.
    store_sql("UPDATE sessions SET data = json_set(data, '$.login_at', 0)")
    response = auth.change_password("to-nie-jest-moje-haslo", PASSPHRASE)
    assert_refused(auth, client, response, "Obecne hasło jest nieprawidłowe.")


def test_wrong_current_password_refused_for_own_password_too(auth, client):
    login = auth.resident(1)
    response = auth.change_password("to-nie-jest-moje-haslo", PASSPHRASE)
    assert response.status_code == 422
    assert "Obecne hasło jest nieprawidłowe." in text(response)
    auth.logout()
    assert auth.login(login, PASSPHRASE).status_code == 200  # not changed
    assert path_of(auth.login(login, STRONG_PASSWORD)) == "/pulpit"


def test_password_built_from_residents_name_is_refused(auth, client, starting, demo_sql):
    person = demo_sql("SELECT IMIE, NAZWISKO FROM OSOBY WHERE ID_OS = 1")[0]
    assert (person["IMIE"], person["NAZWISKO"]) == ("Jan", "Kowalski")
    _, start = starting
    for new in (f"{person['IMIE']}{person['NAZWISKO']}2024!",
                f"{person['NAZWISKO'].upper()} {person['NAZWISKO'].lower()} 1"):
        assert_refused(auth, client, auth.change_password(start, new), CONTEXT_REASON)


def test_password_built_from_residents_street_is_refused(auth, client, starting, demo_sql):
    streets = demo_sql(
        "SELECT DISTINCT b.ULICA FROM PRZYDZIALY p JOIN LOKALE l ON l.ID_LOK = p.ID_LOK"
        " JOIN BUDYNKI b ON b.ID_BUD = l.ID_BUD WHERE p.ID_OS = 1")
    assert streets
    word = max(re.findall(r"[^\W\d_]{3,}", streets[0][0]), key=len)  # 'ul. Łąkowa' -> Łąkowa
    new = f"{word} {word.lower()} {word.upper()} 12"
    _, start = starting
    assert_refused(auth, client, auth.change_password(start, new), CONTEXT_REASON)


def test_password_built_from_login_is_refused(auth, client):
    login, start = auth.create(1, login="pelargonia")
    assert auth.login(login, start).status_code == 302
    assert_refused(auth, client, auth.change_password(start, "Pelargonia!PELARGONIA!"),
                   LOGIN_REASON)


# ---- acceptance ------------------------------------------------------------------

@pytest.mark.parametrize("new", [
    pytest.param(PASSPHRASE, id="passphrase-polish-spaces"),
    pytest.param("Kp8#wZ!qm2Lr7vX", id="exactly-15"),
    pytest.param(LONG_PHRASE[:128], id="exactly-128"),
    pytest.param(SEVENTY, id="70-chars"),
])
def test_good_password_is_accepted_and_logs_in(auth, client, starting, store_sql, new):
    login, start = starting
    response = auth.change_password(start, new)
    assert response.status_code == 302, text(response)
    assert path_of(response) == "/pulpit"
    assert store_sql("SELECT must_change FROM accounts WHERE login = ?", (login,))[0][0] == 0
    auth.logout()
    response = auth.login(login, new)
    assert response.status_code == 302 and path_of(response) == "/pulpit"


def test_no_truncation_prefix_does_not_log_in(auth, client, starting):
    login, start = starting
    assert len(SEVENTY) == 70
    assert auth.change_password(start, SEVENTY).status_code == 302
    auth.logout()
    response = auth.login(login, SEVENTY[:-1])
    assert response.status_code == 200 and FAILED in text(response)
    assert client.get("/dane-osobowe").status_code == 302
    assert path_of(auth.login(login, SEVENTY)) == "/pulpit"


def test_password_longer_than_128_never_logs_in(auth, client, starting):
    """The 129-character version of an accepted 128-character password is a different one."""
    login, start = starting
    assert auth.change_password(start, LONG_PHRASE[:128]).status_code == 302
    auth.logout()
    assert FAILED in text(auth.login(login, LONG_PHRASE[:129]))


# ---- hashes --------------------------------------------------------------------

def test_same_password_two_accounts_different_hashes(app, auth, store_sql):
    first = auth.resident(1)
    second = auth.resident(2, client=app.test_client())
    one, two = stored_hash(store_sql, first), stored_hash(store_sql, second)
    assert one.startswith("$argon2id$") and two.startswith("$argon2id$")
    assert one != two
    assert STRONG_PASSWORD not in one + two
    hasher = PasswordHasher()
    assert hasher.verify(one, STRONG_PASSWORD) and hasher.verify(two, STRONG_PASSWORD)


def test_hash_with_older_parameters_is_upgraded_at_login(settings, auth, store_sql):
    login = auth.resident(1)
    old = stored_hash(store_sql, login)
    assert old.startswith("$argon2id$v=19$m=8192,t=1,p=1$")

    stronger = create_app(test_config={**settings, "security.argon2_time_cost": "2",
                                       "security.argon2_memory_kib": "16384"})
    other = Auth(stronger, stronger.test_client())
    response = other.login(login, STRONG_PASSWORD)
    assert response.status_code == 302 and path_of(response) == "/pulpit"

    new = stored_hash(store_sql, login)
    assert new != old
    assert new.startswith("$argon2id$v=19$m=16384,t=2,p=1$")
    assert PasswordHasher().verify(new, STRONG_PASSWORD)
    # Still logs in (a second time, now without rehash) on the upgraded app.
    other.logout()
    assert path_of(other.login(login, STRONG_PASSWORD)) == "/pulpit"
    assert stored_hash(store_sql, login) == new


def test_wrong_password_does_not_upgrade_hash(settings, auth, store_sql):
    login = auth.resident(1)
    old = stored_hash(store_sql, login)
    stronger = create_app(test_config={**settings, "security.argon2_time_cost": "2"})
    other = Auth(stronger, stronger.test_client())
    assert other.login(login, "zupełnie inne hasło tutaj").status_code == 200
    assert stored_hash(store_sql, login) == old


# ---- start password --------------------------------------------------------------

def test_start_password_is_random_readable_and_stored_as_hash(auth, store_sql):
    logins = [auth.create(resident) for resident in (1, 2, 3)]
    starts = [start for _, start in logins]
    assert len(set(starts)) == 3
    for login, start in logins:
        assert START_RE.match(start), start
        assert not set(start) & set("0O1lI")
        stored = stored_hash(store_sql, login)
        assert stored != start and start not in stored
        assert PasswordHasher().verify(stored, start)


def test_expired_start_password_is_refused(auth, client, store_sql):
    login, start = auth.create(1)
    store_sql("UPDATE accounts SET start_expires = ? WHERE login = ?",
              ("2000-01-01T00:00:00+00:00", login))
    response = auth.login(login, start)
    assert response.status_code == 200
    assert "Hasło startowe wygasło" in text(response)
    assert "pokój nr 4" in text(response)  # says where to get a new one
    response = client.get("/haslo")
    assert response.status_code == 302 and path_of(response) == "/logowanie"


def test_wrong_password_on_expired_account_does_not_reveal_expiry(auth, store_sql):
    login, _ = auth.create(1)
    store_sql("UPDATE accounts SET start_expires = ? WHERE login = ?",
              ("2000-01-01T00:00:00+00:00", login))
    page = text(auth.login(login, "to-nie-jest-haslo"))
    assert FAILED in page and "wygasło" not in page


def test_start_password_expiring_while_on_the_form_cannot_be_changed(auth, client, starting,
                                                                      store_sql):
    login, start = starting
    store_sql("UPDATE accounts SET start_expires = ? WHERE login = ?",
              ("2000-01-01T00:00:00+00:00", login))
    response = auth.change_password(start, PASSPHRASE)
    assert response.status_code == 422 and "Hasło startowe wygasło" in text(response)
    assert store_sql("SELECT must_change FROM accounts WHERE login = ?", (login,))[0][0] == 1


@pytest.mark.settings({"security.start_password_days": "7"})
def test_start_password_expiry_follows_configuration(auth, store_sql):
    from datetime import UTC, datetime, timedelta

    login, _ = auth.create(1)
    expires = datetime.fromisoformat(
        store_sql("SELECT start_expires FROM accounts WHERE login = ?", (login,))[0][0])
    assert abs(expires - (datetime.now(UTC) + timedelta(days=7))) < timedelta(minutes=5)


def test_start_password_is_dead_once_new_one_is_set(auth, client, starting):
    login, start = starting
    assert auth.change_password(start, PASSPHRASE).status_code == 302
    auth.logout()
    response = auth.login(login, start)
    assert response.status_code == 200 and FAILED in text(response)
    assert client.get("/haslo").status_code == 302


def test_own_password_cannot_be_reused_as_new(auth, client):
    auth.resident(1)
    response = auth.change_password(STRONG_PASSWORD, STRONG_PASSWORD)
    assert response.status_code == 422
    assert "musi różnić się od obecnego" in text(response)


def most_hashes_at_once(hasher, count: int = 8) -> int:
    """Hash from `count` threads at once; the most argon2 hashes that ran together."""
    import threading

    import argon2

    running = 0
    peak = 0
    lock = threading.Lock()
    original = argon2.PasswordHasher.hash  # argon2's own hash, under the slot

    def counted(self, password, *, salt=None):
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        try:
            return original(self, password, salt=salt)
        finally:
            with lock:
                running -= 1

    argon2.PasswordHasher.hash = counted
    try:
        threads = [threading.Thread(target=hasher.hash, args=("x" * 12,))
                   for _ in range(count)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        argon2.PasswordHasher.hash = original
    return peak


def test_no_more_hashes_run_at_once_than_there_are_slots():
    """A burst of logins must not hold 64 MiB per worker thread at once."""
    from gateway.store.passwords import BoundedHasher

    hasher = BoundedHasher(time_cost=1, memory_cost=8192, parallelism=1, slots=2)
    assert 1 <= most_hashes_at_once(hasher) <= 2  # without the slots, 8 overlap far beyond 2


def test_a_hash_that_fills_every_core_runs_alone():
    """parallelism already keeps that many cores busy: a second hash at the same time
    would only add its memory (a burst of 8 logins stays under 150 MB)."""
    import os

    from gateway.store.passwords import make_hasher

    cores = os.cpu_count() or 1
    assert most_hashes_at_once(make_hasher(1, 8192, parallelism=cores)) == 1
    if cores >= 2:
        assert most_hashes_at_once(make_hasher(2, 32768, parallelism=1)) == min(4, cores)
