"""The optional second factor (TOTP) and the resident's own sessions (issue 18).

Codes come from pyotp's own generator, not from the portal's code; the RFC 6238
vectors go through the portal's verification function.
"""

from __future__ import annotations

import base64
import re
import time

import pyotp
import pytest
from conftest import STRONG_PASSWORD, csrf_token, path_of, text

from gateway import create_app
from gateway.store import second_factor

RFC_SEED_SHA1 = base64.b32encode(b"12345678901234567890").decode()
RFC_SEED_SHA256 = base64.b32encode(b"12345678901234567890123456789012").decode()
# RFC 6238, appendix B: (time, SHA-1 code, SHA-256 code), 8 digits.
RFC_VECTORS = [
    (59, "94287082", "46119246"),
    (1111111109, "07081804", "68084774"),
    (1111111111, "14050471", "67062674"),
    (1234567890, "89005924", "91819424"),
    (2000000000, "69279037", "90698825"),
    (20000000000, "65353130", "77737706"),
]


@pytest.mark.parametrize("moment, sha1, sha256", RFC_VECTORS)
def test_rfc6238_vectors(moment, sha1, sha256):
    assert second_factor.code_at(RFC_SEED_SHA1, moment, digits=8) == sha1
    assert second_factor.code_at(RFC_SEED_SHA256, moment, digits=8, digest="sha256") == sha256
    # A 6-digit code is the last six digits of the 8-digit one (RFC 4226 truncation):
    # the verification function finds the vector's own time step.
    assert second_factor.matching_step(RFC_SEED_SHA1, sha1[-6:], moment, None) == moment // 30


def test_drift_of_one_step_accepted_two_refused():
    secret = pyotp.random_base32()
    totp = pyotp.TOTP(secret)
    now = 1_700_000_015.0  # in the middle of a step
    step = int(now) // 30
    assert second_factor.matching_step(secret, totp.at(now), now, None) == step
    assert second_factor.matching_step(secret, totp.at(now - 30), now, None) == step - 1
    assert second_factor.matching_step(secret, totp.at(now + 30), now, None) == step + 1
    assert second_factor.matching_step(secret, totp.at(now - 60), now, None) is None
    assert second_factor.matching_step(secret, totp.at(now + 60), now, None) is None
    # a code of a step already used (or an earlier one) is a replay
    assert second_factor.matching_step(secret, totp.at(now), now, step) is None
    assert second_factor.matching_step(secret, totp.at(now + 30), now, step) == step + 1


@pytest.mark.parametrize("code", ["", "12345", "1234567", "abcdef", "12 34 5x", "١٢٣٤٥٦"])
def test_malformed_codes_match_nothing(code):
    secret = pyotp.random_base32()
    assert second_factor.matching_step(secret, code, time.time(), None) is None


# ---- over the app ----------------------------------------------------------------

def _post(client, path, data=None, page="/bezpieczenstwo"):
    token = csrf_token(client.get(page).get_data(as_text=True))
    return client.post(path, data={**(data or {}), "csrf_token": token})


def enrol(client) -> tuple[str, list[str]]:
    """Turn the factor on through the page; returns (secret, recovery codes)."""
    page = _post(client, "/bezpieczenstwo/wlacz")
    assert page.status_code == 200
    body = text(page)
    assert "<svg" in body and 'style="' not in body.split("<svg", 1)[1].split("</svg>")[0]
    secret = re.search(r'<code class="secret">([A-Z2-7 ]+)</code>', body).group(1)
    secret = secret.replace(" ", "")
    token = csrf_token(body)
    done = client.post("/bezpieczenstwo/potwierdz",
                       data={"code": pyotp.TOTP(secret).now(), "csrf_token": token})
    assert done.status_code == 200, text(done)
    codes = re.findall(r"<li><code>([a-z0-9]{5}-[a-z0-9]{5})</code></li>", text(done))
    assert len(codes) == 10
    return secret, codes


def next_code(secret: str) -> str:
    # The code of the next step: enrolment used the current one, and a code is
    # accepted once (and one step of drift is allowed).
    return pyotp.TOTP(secret).at(time.time() + 30)


def second_step(client, code: str):
    page = client.get("/logowanie/kod")
    return client.post("/logowanie/kod", data={"code": code,
                                               "csrf_token": csrf_token(text(page))})


@pytest.fixture
def enrolled(logged_in, client):
    """Resident 1 with the second factor on, logged out again."""
    secret, codes = enrol(client)
    logged_in.logout()
    return logged_in.client, secret, codes


def _login(auth, client, login="", password=STRONG_PASSWORD):
    return auth.login(login or _the_login(auth), password, client=client)


def _the_login(auth) -> str:
    from gateway.store import accounts

    with auth.app.app_context():
        return accounts.by_resident("1").login


def test_login_asks_for_the_code_and_only_then_opens_pages(auth, enrolled, audit_rows):
    client, secret, _ = enrolled
    first = _login(auth, client)
    assert first.status_code == 302 and path_of(first) == "/logowanie/kod"
    # Half logged in: no page opens, the password alone is no login.
    assert path_of(client.get("/dane-osobowe")) == "/logowanie"
    cookie_before = client.get_cookie("portal_anon").value  # pending: no store row yet
    # the pending step survived the detour to a page; finish it
    done = second_step(client, next_code(secret))
    assert done.status_code == 302
    assert client.get("/dane-osobowe").status_code == 200
    assert client.get_cookie("portal_session").value != cookie_before  # new session id
    events = [r["event"] for r in audit_rows()]
    assert events[-2:] == ["login_password_ok", "login_ok"]


def test_code_without_password_step_is_no_login(auth, enrolled):
    client, secret, _ = enrolled
    page = client.get("/logowanie/kod")
    assert path_of(page) == "/logowanie"
    assert path_of(client.get("/dane-osobowe")) == "/logowanie"


def test_a_code_is_accepted_once(auth, enrolled):
    client, secret, _ = enrolled
    code = next_code(secret)
    _login(auth, client)
    assert second_step(client, code).status_code == 302
    auth.logout(client=client)
    _login(auth, client)
    again = second_step(client, code)
    assert again.status_code == 422
    assert "już użyty" in text(again)
    assert path_of(client.get("/dane-osobowe")) == "/logowanie"


def test_wrong_and_malformed_codes_are_counted_failures(auth, enrolled, audit_rows):
    client, secret, _ = enrolled
    _login(auth, client)
    for code in ("000000" if pyotp.TOTP(secret).now() != "000000" else "111111", "x" * 40):
        answer = second_step(client, code)
        assert answer.status_code == 422
        assert "Nieprawidłowy" in text(answer) or "za długi" in text(answer)
    assert len(audit_rows("second_factor_failed")) == 1  # the too long one never reached it
    for row in audit_rows():
        assert secret not in str(row)


def test_recovery_code_works_once(auth, enrolled):
    client, secret, codes = enrolled
    _login(auth, client)
    assert second_step(client, codes[0].upper().replace("-", " ")).status_code == 302
    auth.logout(client=client)
    _login(auth, client)
    assert second_step(client, codes[0]).status_code == 422
    assert second_step(client, codes[1]).status_code == 302


def test_lockout_after_repeated_bad_codes(settings, tmp_path):
    settings = {**settings, "security.max_failures": "3"}
    app = create_app(test_config=settings)
    client = app.test_client()
    from conftest import Auth

    auth = Auth(app, client)
    login = auth.resident(1)
    secret, _ = enrol(client)
    auth.logout()
    _login(auth, client, login)
    wrong = str((int(next_code(secret)) + 1) % 1_000_000).zfill(6)
    answers = [second_step(client, wrong) for _ in range(3)]
    assert [a.status_code for a in answers[:2]] == [422, 422]
    assert answers[2].status_code == 429
    assert "zablokowane" in text(answers[2])
    # locked: the right password and then the right code do not get in
    again = _login(auth, client, login)
    assert path_of(again) != "/logowanie/kod"
    assert path_of(client.get("/dane-osobowe")) == "/logowanie"


def test_second_factor_off_needs_password_and_code(auth, logged_in, client):
    secret, _ = enrol(client)
    refused = _post(client, "/bezpieczenstwo/wylacz",
                    {"password": "nie to hasło", "code": next_code(secret)})
    assert refused.status_code == 422
    assert "pozostaje włączony" in text(refused)
    done = _post(client, "/bezpieczenstwo/wylacz",
                 {"password": STRONG_PASSWORD, "code": next_code(secret)})
    assert done.status_code == 302
    auth.logout()
    assert path_of(_login(auth, client)) == "/pulpit"


def test_staff_reset_2fa_and_reset_keeps_it_unless_asked(auth, enrolled, runner, audit_rows):
    client, secret, _ = enrolled
    login = _the_login(auth)
    kept = runner.invoke(["accounts", "reset", login, "--json"])
    assert kept.exit_code == 0, kept.output
    shown = runner.invoke(["accounts", "show", login, "--json"])
    assert '"second_factor": true' in shown.output
    result = runner.invoke(["accounts", "reset-2fa", login])
    assert result.exit_code == 0, result.output
    assert "Usunięto drugi składnik" in result.output
    row = audit_rows("staff_reset_2fa")[-1]
    assert row["login"] == login and row["actor"]
    assert '"second_factor": false' in runner.invoke(["accounts", "show", login,
                                                      "--json"]).output
    unknown = runner.invoke(["accounts", "reset-2fa", "nie-ma-takiego"])
    assert unknown.exit_code != 0 and "Traceback" not in unknown.output


def test_reset_with_also_2fa_removes_it(auth, enrolled, runner):
    login = _the_login(auth)
    out = runner.invoke(["accounts", "reset", login, "--also-2fa", "--json"])
    assert out.exit_code == 0, out.output
    assert '"second_factor": false' in runner.invoke(["accounts", "show", login,
                                                      "--json"]).output


def test_log_out_everywhere_else_kills_the_other_cookie_at_once(app, auth, logged_in, client):
    other = app.test_client()
    _login(auth, other)
    assert other.get("/dane-osobowe").status_code == 200
    page = client.get("/bezpieczenstwo")
    assert text(page).count("Wyloguj tę") == 2
    assert "(ta sesja)" in text(page)
    done = _post(client, "/bezpieczenstwo/wyloguj-pozostale")
    assert done.status_code == 302
    assert path_of(other.get("/dane-osobowe")) == "/logowanie"
    assert client.get("/dane-osobowe").status_code == 200


def _session_rows(body: str) -> list[tuple[bool, str]]:
    """(is this session, handle) per row of the sessions table."""
    rows = re.findall(r'<td data-label="Przeglądarka">(.*?)</td>.*?'
                      r"/bezpieczenstwo/sesje/([0-9a-f]{16})/wyloguj", body, re.S)
    return [("(ta sesja)" in cell, handle) for cell, handle in rows]


def test_end_one_session_and_foreign_handles(app, auth, logged_in, client):
    other = app.test_client()
    _login(auth, other)
    rows = _session_rows(text(client.get("/bezpieczenstwo")))
    assert sorted(current for current, _ in rows) == [False, True]
    # another resident's session cannot be ended from here
    stranger = app.test_client()
    auth.resident(2, client=stranger)
    theirs = _session_rows(text(stranger.get("/bezpieczenstwo")))[0][1]
    assert _post(client, f"/bezpieczenstwo/sesje/{theirs}/wyloguj").status_code == 404
    assert stranger.get("/dane-osobowe").status_code == 200
    for bad in ("nothex", "0" * 16, "%27%3B%20DROP%20TABLE%20sessions"):
        assert _post(client, f"/bezpieczenstwo/sesje/{bad}/wyloguj").status_code == 404
    other_handle = next(h for current, h in rows if not current)
    assert _post(client, f"/bezpieczenstwo/sesje/{other_handle}/wyloguj").status_code == 302
    assert path_of(other.get("/dane-osobowe")) == "/logowanie"
    assert client.get("/dane-osobowe").status_code == 200
    # "Wyloguj tę" on the session in use logs it out
    mine = next(h for current, h in rows if current)
    assert path_of(_post(client, f"/bezpieczenstwo/sesje/{mine}/wyloguj")) == "/logowanie"
    assert path_of(client.get("/dane-osobowe")) == "/logowanie"


def test_last_logins_listed_with_browser_and_outcome(app, auth, logged_in, client):
    login = _the_login(auth)
    stranger = app.test_client()
    auth.login(login, "zgadywane hasło 123", client=stranger)
    body = text(client.get("/bezpieczenstwo", headers={"User-Agent": "x"}))
    assert "nieudane: złe hasło" in body and "udane" in body
    assert "127.0.0.1" in body


def test_require_second_factor_sends_to_enrolment(settings):
    app = create_app(test_config={**settings, "security.require_second_factor": "true"})
    client = app.test_client()
    from conftest import Auth

    Auth(app, client).resident(1)
    answer = client.get("/czynsz")
    assert answer.status_code == 302 and path_of(answer) == "/bezpieczenstwo"
    enrol(client)
    assert client.get("/czynsz").status_code == 200
    # compulsory: no switch to turn it off
    assert "/bezpieczenstwo/wylacz" not in text(client.get("/bezpieczenstwo"))


def test_wrong_enrolment_code_keeps_the_factor_off(logged_in, client):
    body = text(_post(client, "/bezpieczenstwo/wlacz"))
    secret = re.search(r'<code class="secret">([A-Z2-7 ]+)</code>', body).group(1)
    secret = secret.replace(" ", "")
    wrong = str((int(pyotp.TOTP(secret).now()) + 7) % 1_000_000).zfill(6)
    answer = client.post("/bezpieczenstwo/potwierdz",
                         data={"code": wrong, "csrf_token": csrf_token(body)})
    assert answer.status_code == 422 and "nie zgadza" in text(answer)
    assert "Wyłączony" in text(client.get("/bezpieczenstwo"))


@pytest.mark.parametrize("agent, words", [
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0", "Edge, Windows"),
    ("Mozilla/5.0 (Linux; Android 14; SM-A546B) AppleWebKit/537.36 (KHTML, like Gecko) "
     "SamsungBrowser/26.0 Chrome/122.0.0.0 Mobile Safari/537.36", "Samsung Internet, Android"),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
     "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1", "Safari, iPhone"),
    ("Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0", "Firefox, Linux"),
    ("curl/8.5.0", "nieznana przeglądarka"),
    (None, "nieznana przeglądarka"),
])
def test_browser_in_words(agent, words):
    from gateway.web.useragent import browser_in_words

    assert browser_in_words(agent) == words


def test_no_secret_or_code_in_logs_or_audit(settings):
    import logging
    import sqlite3

    from conftest import Auth

    from gateway.ops import logs

    # Without TESTING the app writes its log files (as in production).
    app = create_app(test_config={k: v for k, v in settings.items() if k != "TESTING"})
    client = app.test_client()
    auth = Auth(app, client)
    login = auth.resident(1)
    secret, codes = enrol(client)
    auth.logout()
    code = next_code(secret)
    _login(auth, client, login)
    second_step(client, "123456" if code != "123456" else "654321")
    assert second_step(client, code).status_code == 302
    for handler in logging.getLogger("gateway").handlers + logs.ACCESS.handlers:
        handler.flush()
    logged = "".join(p.read_text(encoding="utf-8", errors="replace")
                     for p in app.config["LOGGING_DIR"].glob("*.log*"))
    with sqlite3.connect(app.config["STORE_PATH"]) as conn:
        stored = str(conn.execute("SELECT * FROM audit").fetchall())
    assert "second_factor_failed" in logged and "second_factor_failed" in stored
    for value in (secret, code, codes[0], codes[0].replace("-", "")):
        assert value not in logged and value not in stored
