"""13.2, 13.3, 13.8, 13.9 and 22.3–22.5 through the real forms."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from conftest import STRONG_PASSWORD, Auth, csrf_token, path_of, text

from gateway import create_app
from gateway.store import accounts, lockout, passwords

BLOCKED = "logowanie na ten login jest czasowo zablokowane"
WRONG = "zle haslo zle haslo"


def _refused(auth, start, new, reason):
    response = auth.change_password(start, new)
    assert response.status_code == 422, new
    assert reason in text(response), new


# ---- 13.2 / 22.5 policy ------------------------------------------------------------

def test_login_with_digits_inside_a_password_is_refused(auth):
    login, start = auth.create(1, login="m1-k7wq")
    auth.login(login, start)
    for new in ("m1-k7wq moje hasło!", "moje hasło k7wq na zawsze", "M1K7WQ i jeszcze coś"):
        _refused(auth, start, new, "nie może zawierać Twojego loginu")


def test_fourteen_characters_are_too_few_fifteen_enough(auth):
    login, start = auth.create(1)
    auth.login(login, start)
    _refused(auth, start, "Kp8#wZ!qm2Lr7v", "co najmniej 15 znaków (ma 14)")
    assert auth.change_password(start, "Kp8#wZ!qm2Lr7vX").status_code == 302


@pytest.mark.parametrize("new", ["qwerty123456!!!!", "!!!zaq12wsxcde3", "Password2024!!!!",
                                 "1qaz2wsx3edc1234"])
def test_common_password_with_digits_or_signs_added_is_refused(auth, new):
    login, start = auth.create(1)
    auth.login(login, start)
    _refused(auth, start, new, "popularnych haseł")


def test_the_printed_example_is_refused(auth):
    login, start = auth.create(1)
    page = text(auth.login(login, start) and auth.client.get("/haslo"))
    assert passwords.EXAMPLE_PHRASE in page
    for new in (passwords.EXAMPLE_PHRASE, passwords.EXAMPLE_PHRASE.upper() + "!",
                "Zielona-łąka-nad-Wartą-o-świcie"):
        _refused(auth, start, new, "przykład podany pod formularzem")


def test_name_street_house_number_and_cooperative_in_any_combination(auth, demo_sql):
    person = demo_sql("SELECT IMIE, NAZWISKO FROM OSOBY WHERE ID_OS = 1")[0]
    home = demo_sql("SELECT b.ULICA, b.NR_DOMU FROM PRZYDZIALY p JOIN LOKALE l ON"
                    " l.ID_LOK = p.ID_LOK JOIN BUDYNKI b ON b.ID_BUD = l.ID_BUD"
                    " WHERE p.ID_OS = 1")[0]
    street = home["ULICA"].replace("ul. ", "")
    login, start = auth.create(1)
    auth.login(login, start)
    for new in (f"{street} {home['NR_DOMU']} {person['NAZWISKO']}",
                f"{person['IMIE']} {street}{home['NR_DOMU']} {person['IMIE']}!!",
                f"Przykładowa {person['NAZWISKO']} {home['NR_DOMU']}"):
        _refused(auth, start, new, "zbudowane z Twojego loginu")


def test_forced_change_asks_only_the_new_password_and_keeps_it_after_a_refusal(auth):
    login, start = auth.create(1)
    auth.login(login, start)
    form = text(auth.client.get("/haslo"))
    assert 'name="current_password"' not in form and "Pokaż wpisywane hasło" in form
    token = csrf_token(form)
    refused = auth.client.post("/haslo", data={"new_password": "za krótkie",
                                               "new_password_confirm": "za krótkie",
                                               "csrf_token": token})
    assert refused.status_code == 422 and 'name="current_password"' not in text(refused)
    done = auth.client.post("/haslo", data={"new_password": STRONG_PASSWORD,
                                            "new_password_confirm": STRONG_PASSWORD,
                                            "csrf_token": token})
    assert done.status_code == 302
    auth.logout()
    assert path_of(auth.login(login, STRONG_PASSWORD)) == "/pulpit"


def test_own_password_change_still_needs_the_current_one(auth):
    auth.resident(1)
    page = text(auth.client.get("/haslo"))
    assert 'name="current_password"' in page
    response = auth.client.post("/haslo", data={
        "new_password": "inne dobre hasło na jesień", "csrf_token": csrf_token(page),
        "new_password_confirm": "inne dobre hasło na jesień"})
    assert response.status_code == 422 and "Podaj obecne hasło" in text(response)


def test_show_password_script_is_static_and_csp_clean(client, auth):
    script = client.get("/static/password.js")
    assert script.status_code == 200 and "data-reveal" in script.get_data(as_text=True)
    login, start = auth.create(1)
    auth.login(login, start)
    page = auth.client.get("/haslo")
    body = text(page)
    assert '<script src="/static/password.js" defer></script>' in body
    assert "<script>" not in body and " style=" not in body
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert 'class="field reveal" hidden' in body  # without JavaScript: not shown


# ---- 22.4 typed from paper -------------------------------------------------------

def test_login_and_start_password_typed_from_paper(auth):
    login, start = auth.create(1, login="m1-k7wq")
    typed_start = start.upper().replace("-", " ")
    assert path_of(auth.login("M1 K7WQ", typed_start)) == "/haslo"
    again = auth.app.test_client()
    assert path_of(auth.login("m1k7wq", start.replace("-", ""), client=again)) == "/haslo"


def test_own_password_stays_exact(auth):
    login = auth.resident(1)
    auth.logout()
    assert auth.login(login, STRONG_PASSWORD.upper()).status_code == 200


# ---- 13.3 HSTS -------------------------------------------------------------------

def test_hsts_includes_subdomains_by_default_and_can_be_left_out(settings):
    settings["portal.https"] = "true"
    app = create_app(test_config=settings)
    header = app.test_client().get("/", base_url="https://localhost").headers
    assert header["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    settings["portal.hsts_include_subdomains"] = "false"
    app = create_app(test_config=settings)
    header = app.test_client().get("/", base_url="https://localhost").headers
    assert header["Strict-Transport-Security"] == "max-age=31536000"


# ---- 13.8 / 22.3 waits -----------------------------------------------------------

class Clock:
    def __init__(self, start: float):
        self.now = start

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch):
    import time

    fake = Clock(time.time())
    monkeypatch.setattr(lockout, "_now", fake)
    return fake


def _from(app, address: str) -> Auth:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return Auth(app, client)


def test_waits_grow_and_tell_when_to_try_again(app, auth, clock):
    login = auth.resident(1)
    stranger = _from(app, "198.51.100.9")
    for _ in range(4):
        assert stranger.login(login, WRONG).status_code == 200
    fifth = stranger.login(login, WRONG)
    assert fifth.status_code == 429 and BLOCKED in text(fifth)
    from zoneinfo import ZoneInfo

    minute = datetime.fromtimestamp(clock.now + 60 + 59, UTC).astimezone(ZoneInfo("Europe/Warsaw"))
    assert f"Spróbuj ponownie po {minute:%d.%m.%Y}, godz. {minute:%H:%M}" in text(fifth)
    # the right password during the wait does not get in and says the same
    assert BLOCKED in text(stranger.login(login, STRONG_PASSWORD))
    waits = []

    def until() -> float:
        with app.test_request_context():
            return accounts.wait_until(login, "198.51.100.9") or clock.now

    for _ in range(8):
        clock.now = until() + 0.5
        stranger.login(login, WRONG)
        waits.append(round(until() - clock.now))
    assert waits[:5] == [120, 240, 480, 960, 1920]
    assert waits[-1] == 3600  # never more than an hour


def test_a_stranger_does_not_keep_the_resident_out(app, auth, clock):
    login = auth.resident(1)
    auth.logout()
    stranger = _from(app, "198.51.100.9")
    for _ in range(6):
        stranger.login(login, WRONG)
    resident = _from(app, "203.0.113.5")
    assert path_of(resident.login(login, STRONG_PASSWORD)) == "/pulpit"


def test_unknown_and_real_logins_answer_alike(app, auth, clock):
    login = auth.resident(1)
    pages = {}
    for name in (login, "m9999-xxxx"):
        who = _from(app, "198.51.100.20")
        answers = [who.login(name, WRONG) for _ in range(5)]
        pages[name] = [(a.status_code, BLOCKED in text(a)) for a in answers]
    assert pages[login] == pages["m9999-xxxx"]
    assert pages[login][-1] == (429, True)


def test_at_most_the_hourly_ceiling_from_many_addresses(settings, clock):
    settings["security.account_max_failures_per_hour"] = "10"
    app = create_app(test_config=settings)
    auth = Auth(app, app.test_client())
    login = auth.resident(1)
    for n in range(10):
        _from(app, f"198.51.100.{n + 1}").login(login, WRONG)
    refused = _from(app, "203.0.113.5").login(login, STRONG_PASSWORD)
    assert refused.status_code == 429 and BLOCKED in text(refused)
    clock.now += 3601
    assert path_of(_from(app, "203.0.113.5").login(login, STRONG_PASSWORD)) == "/pulpit"


def test_staff_lock_says_to_contact_the_office_only_with_the_right_password(auth, runner):
    login = auth.resident(1)
    auth.logout()
    runner.invoke(["accounts", "lock", login])
    wrong = auth.login(login, WRONG)
    assert "przez spółdzielnię" not in text(wrong)
    right = auth.login(login, STRONG_PASSWORD)
    assert right.status_code == 403
    assert "zablokowane przez spółdzielnię" in text(right) and "pokój nr 4" in text(right)


def test_default_guess_rate_is_within_asvs():
    """The defaults: 5 free tries, then 1, 2, 4, 8, 16, 32 minutes: 11 in the first hour."""
    tries, elapsed, wait = 5, 0.0, 60.0
    while elapsed + wait <= 3600:
        elapsed += wait
        tries += 1
        wait = min(wait * 2, 3600)
    assert tries <= 100


# ---- 13.9 start passwords ----------------------------------------------------------

def test_start_password_valid_14_days_from_issue(auth, store_sql):
    login, start = auth.create(1)
    expires = datetime.fromisoformat(store_sql(
        "SELECT start_expires FROM accounts WHERE login = ?", (login,))[0][0])
    assert abs(expires - (datetime.now(UTC) + timedelta(days=14))) < timedelta(minutes=5)
    store_sql("UPDATE accounts SET start_expires = ? WHERE login = ?",
              ((datetime.now(UTC) - timedelta(seconds=1)).isoformat(), login))
    assert "Hasło startowe wygasło" in text(auth.login(login, start))


def test_start_password_opens_nothing_but_the_change_form(auth):
    login, start = auth.create(1)
    auth.login(login, start)
    for page in ("/dane-osobowe", "/czynsz", "/bezpieczenstwo"):
        response = auth.client.get(page)
        assert response.status_code == 302 and path_of(response) == "/haslo"


def test_login_letters_across_its_parts_do_not_refuse_ordinary_words():
    """'m1-ar47' holds 'mar' only across its parts: 'marcu' stays allowed."""
    assert passwords.login_parts("m1-ar47") == ["m1ar47", "ar47"]
    assert passwords.policy_problems("srebrny tramwaj pod kasztanem w marcu", context=[],
                                     login="m1-ar47") == []
    assert passwords.policy_problems("m1-ar47 i moje hasło", context=[], login="m1-ar47")
