"""SECURITY.md 14 and 17–22 against the resident pages, black-box.

14 anonymous → login page; 17 bad input → form error or 404, never SQL text;
18 markup stored in the billing database renders escaped, and the CSP forbids
inline script anyway; 19 protective headers on every response (error pages
too, and under a real waitress: no Server header); 20 a forced error is a
Polish page with an incident id, a 1 MB POST is 413; 21 billing database
gone → 503 with Retry-After while the public page, login and /healthz keep
answering, and the next request after it is back succeeds; 22 a query slower
than the timeout → 503, other pages keep working.
"""

from __future__ import annotations

import http.client
import re
import shutil
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

import pytest
from pagehtml import Page, module_settings

from gateway.web import builders as resident

ROOT = Path(__file__).resolve().parent.parent
DATA_PAGES = ["/czynsz", "/ksiegowosc", "/ksiegowosc/szczegoly", "/wirtualne-rachunki",
              "/media/odczyty", "/media/rozliczenia"]
RESIDENT_PAGES = ["/pulpit", "/dane-osobowe"] + DATA_PAGES
# SECURITY 14: the public page (with its cookie-notice link), login, health, static files.
# /logowanie/kod is the login's second step: without a pending first step it sends
# back to /logowanie (tests/test_second_factor.py).
PUBLIC_PATHS = {"/", "/zgoda-cookies", "/logowanie", "/logowanie/kod", "/healthz", "/readyz",
                "/static/<path:filename>"}
SQL_TEXT = re.compile(r"\b(SELECT|FROM|WHERE|JOIN|PRZYDZIALY|NALICZENIA|DOKUMENTY|sqlite3?|"
                      r"OperationalError|ProgrammingError|Traceback|pyodbc|no such column)\b")
REQUIRED_CSP = {"default-src": {"'self'"}, "object-src": {"'none'"}, "base-uri": {"'none'"},
                "frame-ancestors": {"'none'"}, "form-action": {"'self'"}}
UNSAFE_SOURCES = {"'unsafe-inline'", "'unsafe-eval'", "'unsafe-hashes'", "*", "http:", "https:",
                  "'strict-dynamic'"}
SCRIPT = "<script>alert(1)</script>"




@pytest.fixture
def settings(settings, request):
    """conftest's settings, plus this module's set-ups, all applied before the app exists."""
    settings = module_settings(settings, request)
    if "broken_queries" in request.fixturenames:
        settings["portal.queries_dir"] = str(request.getfixturevalue("broken_queries"))
    if "slow_queries" in request.fixturenames:
        settings.update({"portal.queries_dir": str(request.getfixturevalue("slow_queries")),
                         "billing.query_timeout": "1"})
    if "missing_billing" in request.fixturenames:
        settings["billing.connection"] = f"sqlite:{request.getfixturevalue('missing_billing')}"
    return settings


def csp(header: str) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            assert words[0].lower() not in out, f"directive {words[0]} twice"
            out[words[0].lower()] = set(words[1:])
    return out


def assert_csp_strict(header: str | None) -> None:
    """SECURITY 18's CSP exactly, or stricter: nothing may allow inline or foreign script."""
    assert header, "no Content-Security-Policy"
    policy = csp(header)
    for name, sources in REQUIRED_CSP.items():
        assert name in policy, f"CSP lacks {name}"
        allowed = sources | {"'none'"}
        assert policy[name] and policy[name] <= allowed, (name, policy[name])
        if "'none'" in policy[name]:
            assert policy[name] == {"'none'"}
    for name, sources in policy.items():
        assert not sources & UNSAFE_SOURCES, (name, sources)
        if name in {"script-src", "script-src-elem", "script-src-attr", "style-src",
                    "default-src", "connect-src", "frame-src", "child-src", "worker-src"}:
            assert sources <= {"'self'", "'none'"}, (name, sources)
    assert "report-uri" not in policy or all(s.startswith("/") for s in policy["report-uri"])


def assert_protective_headers(response, what: str, https: bool = False) -> None:
    h = response.headers
    assert h.get("X-Content-Type-Options") == "nosniff", what
    assert h.get("Referrer-Policy") == "same-origin", what
    frame = h.get("X-Frame-Options", "").upper() in {"DENY", "SAMEORIGIN"}
    assert frame or "frame-ancestors 'none'" in h.get("Content-Security-Policy", ""), what
    assert_csp_strict(h.get("Content-Security-Policy"))
    assert "Server" not in h, (what, h.get("Server"))
    assert "X-Powered-By" not in h, what
    if https:
        hsts = h.get("Strict-Transport-Security", "")
        match = re.match(r"max-age=(\d+)", hsts)
        assert match and int(match.group(1)) >= 15_552_000, (what, hsts)
    else:
        assert "Strict-Transport-Security" not in h, what


def assert_no_store(response, what: str) -> None:
    assert "no-store" in response.headers.get("Cache-Control", ""), what


# ---- 14: anonymous → login page ------------------------------------------------------------

def sample_url(rule) -> str:
    url = rule.rule
    for name in rule.arguments:
        url = re.sub(rf"<(?:[^:>]+:)?{name}>", "1", url)
    return url


def test_every_page_but_the_public_ones_needs_a_login(app, client):
    checked = 0
    for rule in app.url_map.iter_rules():
        if rule.rule in PUBLIC_PATHS:
            continue
        url = sample_url(rule)
        if "GET" in rule.methods:
            response = client.get(url)
            assert response.status_code == 302, (url, response.status_code)
            location = response.headers["Location"]
            assert location.startswith("/logowanie?next="), (url, location)
            checked += 1
        for method in sorted(rule.methods - {"GET", "HEAD", "OPTIONS"}):
            response = client.open(url, method=method)
            assert response.status_code in (302, 400), (method, url, response.status_code)
            if response.status_code == 302:
                assert response.headers["Location"].startswith("/logowanie")
    assert checked >= len(RESIDENT_PAGES) + 1  # the seven resident pages and /haslo at least
    page = client.get("/czynsz?rok=2025", follow_redirects=True)
    assert page.status_code == 200 and Page(page).main.find("form") is not None
    assert "Zaloguj się" in page.get_data(as_text=True)


@pytest.mark.parametrize("url", ["/", "/logowanie", "/healthz", "/readyz", "/static/portal.css",
                                 "/zgoda-cookies?next=/"])
def test_public_pages_answer_anonymously(client, url):
    assert client.get(url).status_code in (200, 302)
    if url == "/zgoda-cookies?next=/":
        assert client.get(url).headers["Location"] in {"/", "http://localhost/"}


def test_anonymous_query_parameters_never_reach_the_data(client):
    for url in DATA_PAGES:
        response = client.get(url + "?lokal=1&konto=1&rok=2025")
        assert response.status_code == 302
        assert "Kowalski" not in response.get_data(as_text=True)


# ---- 17: bad input → a Polish form error or 404, never 500, never SQL text --------------

@pytest.mark.parametrize("query", ["rok=abc", "miesiac=13", "konto=' OR '1'='1",
                                   "lokal=" + "9" * 10240, "rok=2025' UNION SELECT 1 --",
                                   "medium=ZW' OR 1=1 --"])
@pytest.mark.parametrize("url", DATA_PAGES)
def test_bad_input_is_a_polish_form_error_or_404(logged_in, client, url, query):
    name, value = query.split("=", 1)
    response = client.get(url + "?" + urlencode({name: value}))
    page = Page(response)
    assert response.status_code in (200, 400, 404), response.status_code
    if response.status_code == 200:
        # Pages without that parameter ignore it and show the resident's own default.
        assert url == "/wirtualne-rachunki" or name not in {
            "/czynsz": {"lokal", "rok", "miesiac"}, "/ksiegowosc": {"lokal", "konto", "rok"},
            "/ksiegowosc/szczegoly": {"lokal", "konto", "rok"},
            "/media/odczyty": {"lokal", "medium", "rok"},
            "/media/rozliczenia": {"lokal", "konto", "rok"}}[url], (url, name)
    if response.status_code == 400:
        assert page.errors() and not page.tables()
        assert page.doc.find("html").attrs.get("lang") == "pl"
    assert not SQL_TEXT.search(page.text), page.text[:300]


@pytest.fixture
def broken_queries(tmp_path) -> Path:
    """A copy of queries/ where rent_components names a column that does not exist."""
    folder = tmp_path / "queries"
    shutil.copytree(ROOT / "queries", folder)
    path = folder / "rent_components.sql"
    path.write_text(path.read_text(encoding="utf-8").replace("n.KWOTA AS amount",
                                                             "n.KWOTA_NIE_MA AS amount"),
                    encoding="utf-8")
    return folder


def test_a_failing_query_shows_no_sql_text(broken_queries, auth, client):
    auth.resident(1)
    response = client.get("/czynsz")
    html = response.get_data(as_text=True)
    assert response.status_code == 503
    assert "KWOTA_NIE_MA" not in html and not SQL_TEXT.search(Page(response).text)
    assert "Dane chwilowo niedostępne" in html
    assert client.get("/ksiegowosc").status_code == 200


# ---- 18: stored markup renders escaped; the CSP blocks inline script -------------------------

def test_markup_in_the_billing_database_is_escaped(billing_copy, auth, client, demo_sql):
    doc = demo_sql("SELECT ID_DOK, ID_KONTA, DATA_DOK FROM DOKUMENTY WHERE ID_KONTA = 1 "
                   "ORDER BY DATA_DOK DESC LIMIT 1")[0]
    billing_copy("UPDATE DOKUMENTY SET OPIS = ? WHERE ID_DOK = ?", (SCRIPT, doc["ID_DOK"]))
    billing_copy("UPDATE OSOBY SET EMAIL = ?, IMIE = ? WHERE ID_OS = 1",
                 (SCRIPT, '"><img src=x onerror=alert(2)>'))
    billing_copy("UPDATE KONTA SET NAZWA_KONTA = ? WHERE ID_KONTA = 1",
                 ("</option><script>alert(3)</script>",))
    billing_copy("UPDATE SKLADNIKI SET NAZWA_SKL = ? WHERE KOD_SKL = 'EKS'", (SCRIPT,))
    billing_copy("UPDATE LICZNIKI SET MIEJSCE = ? WHERE ID_LOK = 1", ("<b onclick=alert(4)>x</b>",))
    billing_copy("UPDATE BUDYNKI SET ULICA = ? WHERE ID_BUD = (SELECT ID_BUD FROM LOKALE "
                 "WHERE ID_LOK = 1)", ("ul. <svg onload=alert(5)>",))
    auth.resident(1)
    year = doc["DATA_DOK"][:4]
    for url in RESIDENT_PAGES + [f"/ksiegowosc/szczegoly?lokal=1&konto=1&rok={year}"]:
        response = client.get(url)
        html = response.get_data(as_text=True)
        assert response.status_code == 200, url
        page = Page(response)
        assert not page.doc.find_all("script"), url
        drawn = {"chart-svg", "swatch", "segno"}  # own charts (16), the transfer code (14)
        assert not page.doc.find_all("img") and not [
            s for s in page.doc.find_all("svg") if not s.classes() & drawn], url
        for node in page.doc.find_all():
            assert not any(a.lower().startswith("on") for a in node.attrs), (url, node.tag)
        assert "<script>alert" not in html and "<img src=x" not in html
        assert_csp_strict(response.headers.get("Content-Security-Policy"))
    details = client.get(f"/ksiegowosc/szczegoly?lokal=1&konto=1&rok={year}")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in details.get_data(as_text=True)
    assert SCRIPT in Page(details).text  # shown as text, exactly as stored
    personal = Page(client.get("/dane-osobowe"))
    assert SCRIPT in personal.text and '"><img src=x onerror=alert(2)>' in personal.text
    ledger = Page(client.get("/ksiegowosc?lokal=1"))
    assert "</option><script>alert(3)</script>" in dict(ledger.select("konto"))["1"]


def test_csp_on_every_kind_of_response(logged_in, client):
    for url in ["/", "/logowanie", "/healthz", "/nie-ma-takiej-strony"] + RESIDENT_PAGES:
        assert_csp_strict(client.get(url).headers.get("Content-Security-Policy"))


# ---- 19: protective headers on every response ------------------------------------------

def responses_of_every_kind(app, client, auth, https: bool) -> dict[str, object]:
    anonymous = app.test_client()
    if https:
        anonymous.environ_base.update({"wsgi.url_scheme": "https",
                                       "HTTP_REFERER": "https://localhost/"})
    out: dict[str, object] = {
        "public": anonymous.get("/"),
        "login form": anonymous.get("/logowanie"),
        "healthz": anonymous.get("/healthz"),
        "readyz": anonymous.get("/readyz"),
        "static": anonymous.get("/static/portal.css"),
        "cookie consent redirect": anonymous.get("/zgoda-cookies?next=/"),
        "anonymous redirect": anonymous.get("/czynsz"),
        "login without CSRF (400)": anonymous.post("/logowanie", data={"login": "x"}),
        "unknown page (404)": anonymous.get("/nie-ma"),
        "1 MB POST (413)": anonymous.post("/logowanie", data={"login": "x" * 1024 * 1024}),
    }
    auth.resident(1)
    for url in RESIDENT_PAGES:
        out[url] = client.get(url)
    out["form error (400)"] = client.get("/czynsz?rok=abc")
    out["not the resident's (404)"] = client.get("/czynsz?lokal=2")
    out["GET /wyloguj (405)"] = client.get("/wyloguj")
    return out


@pytest.mark.parametrize("settings", [{"portal.https": "false"}, {"portal.https": "true"}],
                         indirect=True, ids=["http", "https"])
def test_protective_headers_on_every_response(app, client, auth, settings, monkeypatch):
    https = settings["portal.https"] == "true"
    if https:  # as behind a TLS-terminating proxy that says so
        client.environ_base.update({"wsgi.url_scheme": "https",
                                    "HTTP_REFERER": "https://localhost/"})
    kinds = responses_of_every_kind(app, client, auth, https)
    expected = {"1 MB POST (413)": 413, "login without CSRF (400)": 400,
                "unknown page (404)": 404, "form error (400)": 400,
                "not the resident's (404)": 404, "GET /wyloguj (405)": 405}
    for what, response in kinds.items():
        if what in expected:
            assert response.status_code == expected[what], (what, response.status_code)
        assert_protective_headers(response, what, https=https)
    for url in RESIDENT_PAGES:
        assert_no_store(kinds[url], url)
    monkeypatch.setattr(resident, "rent_page", lambda: 1 / 0)
    failed = client.get("/czynsz")
    assert failed.status_code == 500
    assert_protective_headers(failed, "500", https=https)
    assert_no_store(failed, "500")


def test_unavailable_billing_page_has_the_headers(missing_billing, auth, client):
    auth.resident(1)
    response = client.get("/czynsz")
    assert response.status_code == 503
    assert_protective_headers(response, "503")
    assert_no_store(response, "503")


def test_real_waitress_sends_no_server_version(app, auth):
    from gateway.ops import server

    auth.resident(1)
    srv = server.make_server(app, host="127.0.0.1", port=0)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    try:
        conn = http.client.HTTPConnection("127.0.0.1", srv.effective_port, timeout=10)
        seen = {}
        for url in ["/", "/logowanie", "/healthz", "/nie-ma", "/czynsz"]:
            conn.request("GET", url)
            response = conn.getresponse()
            response.read()
            seen[url] = response.status
            headers = {k.lower(): v for k, v in response.getheaders()}
            assert "server" not in headers, (url, headers.get("server"))
            assert "x-powered-by" not in headers
            assert headers.get("x-content-type-options") == "nosniff", url
            assert headers.get("referrer-policy") == "same-origin", url
        assert seen == {"/": 200, "/logowanie": 200, "/healthz": 200, "/nie-ma": 404,
                        "/czynsz": 302}
        conn.close()
        # A body over the limit: refused with 413 (by waitress or the app), still no Server.
        conn = http.client.HTTPConnection("127.0.0.1", srv.effective_port, timeout=10)
        conn.request("POST", "/logowanie", body=b"x" * (1024 * 1024),
                     headers={"Content-Type": "application/x-www-form-urlencoded"})
        response = conn.getresponse()
        response.read()
        assert response.status == 413
        assert "server" not in {k.lower() for k, _ in response.getheaders()}
        conn.close()
    finally:
        srv.close()
        thread.join(5)


def test_real_waitress_413_is_the_portals_page(app):
    from gateway.ops import server

    srv = server.make_server(app, host="127.0.0.1", port=0)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    try:
        conn = http.client.HTTPConnection("127.0.0.1", srv.effective_port, timeout=10)
        conn.request("POST", "/logowanie", body=b"x" * (1024 * 1024),
                     headers={"Content-Type": "application/x-www-form-urlencoded"})
        response = conn.getresponse()
        body = response.read().decode("utf-8", "replace")
        conn.close()
    finally:
        srv.close()
        thread.join(5)
    headers = {k.lower(): v for k, v in response.getheaders()}
    assert response.status == 413
    assert headers.get("x-content-type-options") == "nosniff"
    assert "Za dużo danych" in body


# ---- 20: a forced error is a Polish page with an incident id; 1 MB POST → 413 -----------

def test_forced_error_is_a_polish_page_with_an_incident_id(logged_in, client, monkeypatch,
                                                           caplog):
    def explode():
        raise RuntimeError("SELECT secret FROM OSOBY /home/portal/gateway/resident.py")

    monkeypatch.setattr(resident, "rent_page", explode)
    response = client.get("/czynsz")
    html = response.get_data(as_text=True)
    assert response.status_code == 500
    page = Page(response)
    assert page.doc.find("h1").text() == "Błąd portalu"
    assert "Spróbuj ponownie" in page.text
    match = re.search(r"Numer zgłoszenia: (\S+)", page.text)
    assert match, "no incident id on the page"
    incident = match.group(1)
    for leak in ("Traceback", "RuntimeError", "SELECT secret", "resident.py", "explode"):
        assert leak not in html
    logged = [r for r in caplog.records if incident in r.getMessage()]
    assert logged and logged[0].exc_info  # the details are in the log, under that number
    # Another request gets another incident id, and the portal keeps working.
    again = re.search(r"Numer zgłoszenia: (\S+)", Page(client.get("/czynsz")).text).group(1)
    assert again != incident
    assert client.get("/ksiegowosc").status_code == 200


def test_unexpected_error_below_the_views_is_500_not_a_traceback(logged_in, client,
                                                                monkeypatch):
    """A bug (not a driver error) while querying: the 500 page, not a 503 or a traceback."""
    from gateway.billing.driver import BillingDB

    def bug(self, query, params):
        raise KeyError("SELECT resident FROM PRZYDZIALY")

    monkeypatch.setattr(BillingDB, "run", bug)
    response = client.get("/media/odczyty")
    html = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Błąd portalu" in html and "Numer zgłoszenia" in html
    assert "KeyError" not in html and "PRZYDZIALY" not in html and "Traceback" not in html


@pytest.mark.parametrize("url", ["/logowanie", "/haslo", "/wyloguj", "/czynsz", "/"])
def test_one_megabyte_post_is_413(client, url):
    response = client.post(url, data=b"x" * (1024 * 1024),
                           content_type="application/x-www-form-urlencoded")
    if response.status_code == 405:  # a page that takes no POST at all
        return
    assert response.status_code == 413, (url, response.status_code)
    page = Page(response)
    assert page.doc.find("h1").text() == "Za dużo danych"
    assert_protective_headers(response, url)


def test_one_megabyte_post_logged_in_is_413(logged_in, client):
    response = client.post("/haslo", data={"new_password": "x" * 1024 * 1024})
    assert response.status_code == 413
    assert "Za dużo danych" in response.get_data(as_text=True)


# ---- 21: billing database unreachable → 503; the rest keeps answering; recovery ----------

def assert_unavailable(response, what: str) -> None:
    assert response.status_code == 503, (what, response.status_code)
    assert response.headers.get("Retry-After", "").isdigit(), what
    page = Page(response)
    assert page.doc.find("h1").text() == "Dane chwilowo niedostępne", what
    assert "Spróbuj ponownie za kilka minut" in page.text
    assert re.search(r"Numer zgłoszenia: \S+", page.text)
    assert not SQL_TEXT.search(page.text) and "sqlite" not in page.html.lower()
    assert not page.tables()


def check_rest_still_answers(app) -> None:
    anonymous = app.test_client()
    assert anonymous.get("/").status_code == 200
    assert anonymous.get("/logowanie").status_code == 200
    assert anonymous.get("/healthz").status_code == 200
    assert anonymous.get("/static/portal.css").status_code == 200


@pytest.fixture
def missing_billing(tmp_path) -> Path:
    """Where the billing database will be; at first there is nothing (see `settings`)."""
    return tmp_path / "later" / "billing.sqlite3"


def test_billing_down_from_the_start_then_back(missing_billing, app, auth, client, demo_path):
    auth.resident(1)  # logging in and setting a password need no billing database
    for url in RESIDENT_PAGES:
        started = time.monotonic()
        response = client.get(url)
        assert time.monotonic() - started < 10  # answers, never hangs
        assert_unavailable(response, url)
    check_rest_still_answers(app)
    ready = app.test_client().get("/readyz")
    assert ready.status_code == 503 and ready.headers.get("Retry-After")
    assert ready.get_json()["checks"]["billing"] != "ok"
    assert "sqlite" not in ready.get_data(as_text=True)
    # The database comes back: the very next request works, same app, no restart.
    missing_billing.parent.mkdir()
    shutil.copyfile(demo_path, missing_billing)
    for url in RESIDENT_PAGES:
        assert client.get(url).status_code == 200, url
    assert app.test_client().get("/readyz").status_code == 200


@pytest.mark.parametrize("settings", [{"cache.ttl_seconds": "300"}], indirect=True)
def test_login_reads_the_lists_ahead_but_works_without_the_billing_database(
        missing_billing, app, auth, client, demo_path):
    auth.resident(1)  # the lists read ahead at login are simply not there
    assert_unavailable(client.get("/czynsz"), "/czynsz")
    missing_billing.parent.mkdir()
    shutil.copyfile(demo_path, missing_billing)
    assert client.get("/czynsz").status_code == 200


@pytest.mark.parametrize("settings", [{"cache.ttl_seconds": "300"}], indirect=True)
def test_login_does_not_wait_for_a_billing_database_known_to_be_down(
        missing_billing, app, auth, client, monkeypatch):
    db = app.extensions["billing"]
    attempts = []
    real = db._acquire
    monkeypatch.setattr(db, "_acquire", lambda: attempts.append(1) or real())
    first, second = auth.create(1), auth.create(2)
    assert auth.login(*first).status_code == 302  # meets the outage once, at the first list
    assert len(attempts) == 1 and db.recently_down()
    assert auth.login(*second, client=app.test_client()).status_code == 302
    assert len(attempts) == 1  # later logins skip the read-ahead: no wait on top


def test_billing_down_costs_one_connection_attempt_per_request(missing_billing, auth, client,
                                                               monkeypatch):
    """Within the connect timeout: the error page itself does not try the database again."""
    from gateway.billing.driver import BillingDB

    attempts: list[str] = []
    real_open = BillingDB._open

    def counted(self):
        attempts.append(self.connection)
        return real_open(self)

    monkeypatch.setattr(BillingDB, "_open", counted)
    auth.resident(1)
    for url in RESIDENT_PAGES:
        attempts.clear()
        assert_unavailable(client.get(url), url)
        assert len(attempts) == 1, (url, len(attempts))


@pytest.mark.parametrize("settings", [{"billing.reuse_connections": "false"},
                                      {"billing.reuse_connections": "true"}],
                         indirect=True, ids=["fresh-connections", "reused-connections"])
def test_billing_goes_away_mid_session_then_comes_back(billing_copy, app, auth, client):
    auth.resident(1)
    assert client.get("/czynsz").status_code == 200
    away = billing_copy.path.with_name("away.sqlite3")
    billing_copy.path.rename(away)
    app.extensions["billing"].discard()  # a server restart drops open connections
    for url in RESIDENT_PAGES:
        assert_unavailable(client.get(url), url)
    check_rest_still_answers(app)
    assert app.test_client().get("/readyz").status_code == 503
    away.rename(billing_copy.path)
    assert client.get("/czynsz").status_code == 200
    assert all(client.get(url).status_code == 200 for url in RESIDENT_PAGES)
    assert app.test_client().get("/readyz").status_code == 200


def test_billing_file_replaced_by_garbage_is_503(billing_copy, app, auth, client):
    auth.resident(1)
    assert client.get("/ksiegowosc").status_code == 200
    saved = billing_copy.path.read_bytes()
    billing_copy.path.write_bytes(b"this is not a database" * 100)
    app.extensions["billing"].discard()
    assert_unavailable(client.get("/ksiegowosc"), "garbage")
    billing_copy.path.write_bytes(saved)
    assert client.get("/ksiegowosc").status_code == 200


# ---- 22: a query slower than the timeout → 503; other pages keep working -------------------

SPIN = ("WITH RECURSIVE spin(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM spin "
        "WHERE x < 2000000000)\n")


@pytest.fixture
def slow_queries(tmp_path) -> Path:
    """A copy of queries/ whose rent_components counts to two billion first."""
    folder = tmp_path / "slow-queries"
    shutil.copytree(ROOT / "queries", folder)
    path = folder / "rent_components.sql"
    text = path.read_text(encoding="utf-8")
    header, _, body = text.partition("\nSELECT ")
    assert "ORDER BY" in body
    body = body.replace("ORDER BY", "  AND (SELECT MAX(x) FROM spin) > 0\nORDER BY", 1)
    path.write_text(f"{header}\n{SPIN}SELECT {body}", encoding="utf-8")
    return folder


def test_slow_query_is_503_and_other_pages_keep_working(slow_queries, app, auth, client):
    auth.resident(1)
    started = time.monotonic()
    response = client.get("/czynsz")
    assert time.monotonic() - started < 10  # cut off by the query timeout, not left to hang
    assert_unavailable(response, "slow rent")
    for url in ["/dane-osobowe", "/ksiegowosc", "/ksiegowosc/szczegoly", "/wirtualne-rachunki",
                "/media/odczyty", "/media/rozliczenia"]:
        assert client.get(url).status_code == 200, url
    check_rest_still_answers(app)
    assert app.test_client().get("/readyz").status_code == 200  # the database itself is fine


def test_other_residents_are_served_while_a_slow_query_runs(slow_queries, app, auth, client):
    auth.resident(1)
    other = app.test_client()
    auth.resident(2, client=other)
    result: dict[str, int] = {}

    def slow() -> None:
        result["slow"] = client.get("/czynsz").status_code

    worker = threading.Thread(target=slow)
    worker.start()
    statuses = [other.get(url).status_code for url in ("/dane-osobowe", "/ksiegowosc",
                                                       "/media/odczyty")]
    worker.join(10)
    assert not worker.is_alive()
    assert result["slow"] == 503 and statuses == [200, 200, 200]
