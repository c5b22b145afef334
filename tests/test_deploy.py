"""Deployment: `gateway serve` start-up refusals and options, the real waitress
server, the Windows service recipe, config.example.ini, and Windows portability
(no POSIX-only calls, explicit encodings, CRLF and BOM in the files the admin
edits).
"""

from __future__ import annotations

import ast
import configparser
import json
import os
import re
import shlex
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

from gateway import create_app
from gateway.billing.queries import QuerySet
from gateway.cli import main
from gateway.config import SETTINGS
from gateway.ops import logs, server

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy" / "windows"
KEY = "k" * 48


@pytest.fixture(autouse=True)
def _clean(monkeypatch):
    monkeypatch.delenv("GATEWAY_SECRET_KEY", raising=False)
    monkeypatch.delenv("GATEWAY_CONFIG", raising=False)
    yield
    logs.close_files()


def tiny_billing(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE T_LOKALE (ID INTEGER PRIMARY KEY, NR TEXT)")
    conn.commit()
    conn.close()
    return path


def write_config(folder: Path, overrides: dict[str, str | None] | None = None,
                 newline: str = "\n", bom: bool = False) -> Path:
    """A config.ini in `folder` with relative paths, a tiny billing file and a good key."""
    tiny_billing(folder / "var" / "billing.sqlite3")
    values: dict[str, str | None] = {
        "portal.secret_key": KEY,
        "portal.cooperative_name": "SM „Łąkowa” w Żninie",
        "billing.connection": "sqlite:var/billing.sqlite3",
        "billing.connect_timeout": "2",
        "store.path": "var/store.sqlite3",
        "logging.dir": "var/log",
        "security.argon2_time_cost": "1",
        "security.argon2_memory_kib": "8192",
        "security.argon2_parallelism": "1",
    }
    values.update(overrides or {})
    sections: dict[str, list[str]] = {}
    for name, value in values.items():
        if value is not None:
            section, key = name.split(".")
            sections.setdefault(section, []).append(f"{key} = {value}")
    text = "".join(f"[{s}]\n" + "\n".join(lines) + "\n\n" for s, lines in sections.items())
    path = folder / "config.ini"
    path.write_bytes(("\ufeff" if bom else "").encode() +
                     text.replace("\n", newline).encode("utf-8"))
    return path


def gateway(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def refusal(result) -> str:
    """The one line `gateway` printed for a refusal (exit code != 0, no traceback)."""
    assert result.exit_code != 0, result.output
    assert "Traceback" not in result.output + result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("błąd: ")
    return lines[0]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ---- start-up refusals ---------------------------------------------------------

@pytest.mark.parametrize("key", [None, "", "change-me", "zmien-mnie", "short-key"])
def test_serve_refuses_missing_default_or_short_key(tmp_path, key):
    config = write_config(tmp_path, {"portal.secret_key": key})
    line = refusal(gateway("--config", str(config), "serve"))
    assert "portal.secret_key" in line
    assert "gateway secret" in line or "za krótki" in line


def test_serve_refuses_unreachable_billing_database(tmp_path):
    config = write_config(tmp_path, {"billing.connection": "sqlite:/nonexistent/billing.db"})
    line = refusal(gateway("--config", str(config), "serve"))
    assert line.startswith("błąd: billing.connection: cannot open the billing database")
    assert "/nonexistent/billing.db" in line


def test_serve_refuses_a_billing_file_that_is_not_a_database(tmp_path):
    config = write_config(tmp_path)
    (tmp_path / "var" / "billing.sqlite3").write_bytes(b"MZ not a database " * 500)
    assert "billing.connection" in refusal(gateway("--config", str(config), "serve"))


def test_serve_refuses_missing_queries_folder(tmp_path):
    config = write_config(tmp_path, {"portal.queries_dir": "nie-ma-zapytan"})
    line = refusal(gateway("--config", str(config), "serve"))
    assert line.startswith("błąd: portal.queries_dir:")
    assert str(tmp_path / "nie-ma-zapytan") in line


@pytest.mark.parametrize("folder", ["nie-ma-szablonow", "var"])
def test_serve_refuses_missing_templates_folder(tmp_path, folder):
    config = write_config(tmp_path, {"portal.templates_dir": folder})
    line = refusal(gateway("--config", str(config), "serve"))
    assert line.startswith("błąd: portal.templates_dir:")


@pytest.mark.parametrize(("overrides", "key"), [
    ({"server.trusted_proxy": "127.0.0.1", "server.trusted_proxy_headers": "x-real-ip"},
     "server.trusted_proxy_headers"),
    ({"server.trusted_proxy": "127.0.0.1",
      "server.trusted_proxy_headers": "forwarded x-forwarded-for"},
     "server.trusted_proxy_headers"),
    ({"server.trusted_proxy": "proxy.local"}, "server.trusted_proxy"),
    ({"server.port": "80000"}, "server.port"),
    ({"server.threads": "0"}, "server.threads"),
    ({"server.url_scheme": "ftp"}, "server.url_scheme"),
    ({"logging.level": "loud"}, "logging.level"),
])
def test_serve_names_the_bad_server_setting(tmp_path, overrides, key):
    config = write_config(tmp_path, overrides)
    assert refusal(gateway("--config", str(config), "serve")).startswith(f"błąd: {key}")


def test_connection_limit_is_capped_on_windows(tmp_path, monkeypatch):
    config = write_config(tmp_path, {"server.connection_limit": "1000"})
    monkeypatch.setattr(server.sys, "platform", "win32")
    line = refusal(gateway("--config", str(config), "serve"))
    assert line.startswith("błąd: server.connection_limit: at most 500 on Windows")


def test_serve_refuses_a_store_newer_than_the_program(tmp_path):
    config = write_config(tmp_path)
    store_path = tmp_path / "var" / "store.sqlite3"
    conn = sqlite3.connect(store_path)
    conn.execute("PRAGMA user_version = 999")
    conn.close()
    line = refusal(gateway("--config", str(config), "serve"))
    assert line.startswith("błąd: store.path:") and "newer than this program" in line


def test_serve_refuses_a_port_in_use(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        config = write_config(tmp_path, {"server.port": str(port)})
        line = refusal(gateway("--config", str(config), "serve"))
    assert line.startswith(f"błąd: server.port: cannot listen on 127.0.0.1:{port}")
    assert "refusing to start" in (tmp_path / "var" / "log" / "portal.log").read_text(
        encoding="utf-8")


class FakeServer:
    effective_host, effective_port = "127.0.0.1", 8080
    ran = closed = False

    def run(self):
        self.ran = True

    def close(self):
        self.closed = True


@pytest.mark.parametrize("source", ["file", "environment"])
def test_secret_key_from_a_file_or_the_environment_starts(tmp_path, monkeypatch, source):
    if source == "file":
        (tmp_path / "secret.key").write_text(KEY + "\r\n", encoding="utf-8")
        config = write_config(tmp_path, {"portal.secret_key": None,
                                         "portal.secret_key_file": "secret.key"})
    else:
        monkeypatch.setenv("GATEWAY_SECRET_KEY", KEY)
        config = write_config(tmp_path, {"portal.secret_key": "change-me"})
    fake = FakeServer()
    monkeypatch.setattr(server, "make_server", lambda app, **kw: fake)
    result = gateway("--config", str(config), "serve")
    assert result.exit_code == 0, result.output + result.stderr
    assert "Portal działa: http://127.0.0.1:8080/" in result.output
    assert fake.ran and fake.closed


def test_missing_key_file_is_named(tmp_path):
    config = write_config(tmp_path, {"portal.secret_key": None,
                                     "portal.secret_key_file": "brak.key"})
    assert refusal(gateway("--config", str(config), "serve")).startswith(
        "błąd: portal.secret_key_file: nie da się odczytać")


def test_https_without_a_proxy_scheme_is_warned_about(tmp_path, monkeypatch):
    config = write_config(tmp_path, {"portal.https": "true"})
    monkeypatch.setattr(server, "make_server", lambda app, **kw: FakeServer())
    assert gateway("--config", str(config), "serve").exit_code == 0
    portal = (tmp_path / "var" / "log" / "portal.log").read_text(encoding="utf-8")
    assert "portal.https is true but no trusted proxy" in portal


# ---- waitress options and the real server ----------------------------------------

def test_waitress_options_come_from_server_settings(tmp_path):
    config = write_config(tmp_path, {
        "server.host": "0.0.0.0",  # noqa: S104
        "server.port": "8443", "server.threads": "12",
        "server.connection_limit": "300", "server.channel_timeout": "45",
        "server.max_request_body": "20000", "server.trusted_proxy": "10.0.0.5",
        "server.trusted_proxy_headers": "X-Forwarded-For, X-Forwarded-Proto",
        "server.url_scheme": "https"})
    app = create_app(config)
    assert app.config["MAX_CONTENT_LENGTH"] == 20000
    options = server.waitress_options(app)
    assert options == {
        "host": "0.0.0.0",  # noqa: S104
        "port": 8443, "threads": 12, "connection_limit": 300,
        # waitress's own cap sits above the app's, so the app answers 413 in Polish
        "channel_timeout": 45, "max_request_body_size": 2 * 1024 * 1024,
        "url_scheme": "https",
        "ident": "", "clear_untrusted_proxy_headers": True, "asyncore_use_poll": True,
        "trusted_proxy": "10.0.0.5", "trusted_proxy_count": 1,
        "trusted_proxy_headers": {"x-forwarded-for", "x-forwarded-proto"}}
    from waitress.adjustments import Adjustments

    Adjustments(**options)  # waitress itself accepts every option


def test_no_proxy_means_no_trusted_headers(tmp_path):
    options = server.waitress_options(create_app(write_config(tmp_path)))
    assert "trusted_proxy" not in options and options["clear_untrusted_proxy_headers"]


def fetch(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict, bytes]:
    request = urllib.request.Request(url, headers=headers or {})  # noqa: S310 - http only
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def test_real_waitress_serves_health_and_trusts_only_its_proxy(tmp_path):
    config = write_config(tmp_path, {"server.trusted_proxy": "127.0.0.1",
                                     "server.max_request_body": "2048"})
    app = create_app(config)
    server.preflight(app)
    srv = server.make_server(app, port=0)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{srv.effective_port}"
        status, headers, body = fetch(base + "/healthz")
        assert (status, json.loads(body)) == (200, {"status": "ok"})
        assert "Server" not in headers  # no software name
        status, _, body = fetch(base + "/readyz")
        assert status == 200 and json.loads(body)["checks"] == {"billing": "ok", "store": "ok"}
        fetch(base + "/?q=1", {"X-Forwarded-For": "203.0.113.9",
                               "X-Forwarded-Proto": "https"})
        big = urllib.request.Request(base + "/logowanie", data=b"x" * 5000,  # noqa: S310
                                     method="POST")
        try:
            urllib.request.urlopen(big, timeout=10)  # noqa: S310
        except urllib.error.HTTPError as exc:
            assert exc.code == 413
    finally:
        srv.close()
        thread.join(5)
    access = (tmp_path / "var" / "log" / "access.log").read_text(encoding="utf-8")
    assert re.search(r" 203\.0\.113\.9 GET / 200 ", access)  # client address via the proxy


def test_untrusted_forwarded_headers_are_ignored(tmp_path):
    app = create_app(write_config(tmp_path))
    srv = server.make_server(app, port=0)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    try:
        fetch(f"http://127.0.0.1:{srv.effective_port}/healthz",
              {"X-Forwarded-For": "203.0.113.9"})
    finally:
        srv.close()
        thread.join(5)
    access = (tmp_path / "var" / "log" / "access.log").read_text(encoding="utf-8")
    assert "203.0.113.9" not in access and " 127.0.0.1 GET /healthz 200 " in access


# ---- the Windows service recipe -------------------------------------------------

def service_definition() -> ET.Element:
    return ET.parse(DEPLOY / "portal-service.xml").getroot()  # noqa: S314 - our own file


def test_service_definition_runs_gateway_serve():
    svc = service_definition()
    assert svc.tag == "service"
    assert svc.findtext("id") == "PortalGateway"
    assert svc.findtext("executable") == r"%BASE%\..\venv\Scripts\gateway.exe"
    args = shlex.split(svc.findtext("arguments").replace("\\", "/"))
    assert args == ["--config", "%BASE%/../config.ini", "serve"]
    assert {e.get("name"): e.get("value") for e in svc.findall("env")}["PYTHONUTF8"] == "1"
    assert [e.get("action") for e in svc.findall("onfailure")] == ["restart"] * 3
    assert svc.find("log").get("mode") == "roll-by-size"
    account = svc.find("serviceaccount")
    assert (account.findtext("domain"), account.findtext("user")) == \
        ("NT AUTHORITY", "LocalService")
    assert re.fullmatch(r"\d+ sec", svc.findtext("stoptimeout"))
    # Every command the scripts and the XML run exists in the CLI.
    assert "serve" in main.commands


def test_service_command_starts_answers_and_stops_on_ctrl_c(tmp_path):
    """Run exactly what WinSW runs (paths mapped to this venv) in the documented layout."""
    if sys.platform == "win32":
        pytest.skip("Ctrl+C is delivered by WinSW itself on Windows")
    portal = tmp_path / "Portal"
    base = portal / "service"  # %BASE%
    base.mkdir(parents=True)
    shutil.copytree(ROOT / "queries", portal / "queries")
    (portal / "secret.key").write_text(KEY, encoding="utf-8")
    port = free_port()
    write_config(portal, {"portal.secret_key": None, "portal.secret_key_file": "secret.key",
                          "portal.queries_dir": "queries", "server.port": str(port)},
                 newline="\r\n", bom=True)
    svc = service_definition()
    executable = Path(sys.executable).parent / "gateway"
    if not executable.exists():
        pytest.skip("the gateway console script is not installed in this environment")
    assert svc.findtext("executable").endswith(r"\venv\Scripts\gateway.exe")

    def windows_path(text: str) -> str:
        return text.replace("%BASE%", str(base)).replace("\\", "/")

    args = shlex.split(windows_path(svc.findtext("arguments")))
    cwd = Path(windows_path(svc.findtext("workingdirectory"))).resolve()
    env = {**os.environ, **{e.get("name"): e.get("value") for e in svc.findall("env")}}
    env.pop("GATEWAY_SECRET_KEY", None)
    process = subprocess.Popen([str(executable), *args], cwd=cwd, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        status = None
        while time.monotonic() < deadline and process.poll() is None:
            try:
                status, _, _ = fetch(f"http://127.0.0.1:{port}/healthz")
                break
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.2)
        assert status == 200, process.communicate(timeout=5)
        assert fetch(f"http://127.0.0.1:{port}/readyz")[0] == 200
        process.send_signal(signal.SIGINT)  # what WinSW's stop sends: Ctrl+C
        out, err = process.communicate(timeout=15)  # <stoptimeout>
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, err.decode()
    assert "Portal działa" in out.decode("utf-8")
    assert "Traceback" not in err.decode()
    portal_log = (portal / "var" / "log" / "portal.log").read_text(encoding="utf-8")
    assert "serving on http://127.0.0.1:" in portal_log and "stopped" in portal_log
    access = (portal / "var" / "log" / "access.log").read_text(encoding="utf-8")
    assert "GET /healthz 200" in access and "GET /readyz 200" in access


WINDOWS_FILES = sorted(p for p in DEPLOY.iterdir() if p.is_file() and p.name != ".gitattributes")


@pytest.mark.parametrize("path", WINDOWS_FILES, ids=lambda p: p.name)
def test_windows_files_are_ascii_with_crlf(path):
    data = path.read_bytes()
    # Windows PowerShell 5.1 reads a .ps1 without BOM in the ANSI code page: ASCII only.
    assert data.isascii(), f"{path.name}: non-ASCII byte"
    assert b"\n" not in data.replace(b"\r\n", b""), f"{path.name}: bare LF"


@pytest.mark.parametrize("path", sorted(DEPLOY.glob("*.ps1")), ids=lambda p: p.name)
def test_powershell_scripts_are_strict_and_well_formed(path):
    text = path.read_text(encoding="ascii")
    assert "Set-StrictMode -Version Latest" in text
    assert "$ErrorActionPreference = 'Stop'" in text
    assert re.search(r"(?m)^\[CmdletBinding\(\)\]\s*\r?\nparam\(", text)
    # "$name:" followed by a space or punctuation is a parse error in a PowerShell string.
    assert not re.search(r"\$[A-Za-z_]\w*:(?=[\s\"'.,)])", text)
    code = re.sub(r"<#.*?#>", "", text, flags=re.S)
    code = re.sub(r"(?m)#.*$", "", code)
    code = re.sub(r"'[^'\r\n]*'", "''", code)
    code = re.sub(r'"(?:`.|[^"`\r\n])*"', '""', code)
    for left, right in ("{}", "()", "[]"):
        assert code.count(left) == code.count(right), f"{path.name}: unbalanced {left}{right}"
    for called in re.findall(r"\$gateway --config \$config ([a-z ]+?)(?: \$|\r?$)", text, re.M):
        group = main
        for word in called.split():
            group = group.commands[word]  # KeyError: a command the CLI does not have


def test_install_script_uses_the_service_definition():
    text = (DEPLOY / "install-service.ps1").read_text(encoding="ascii")
    assert "portal-service.xml" in text and "PortalGateway" in text
    assert "/healthz" in text and "/readyz" in text
    backup = (DEPLOY / "backup-store.ps1").read_text(encoding="ascii")
    assert "accounts backup" in backup and "exit 1" in backup
    assert "backup-store.ps1" in (DEPLOY / "register-backup-task.ps1").read_text(
        encoding="ascii")


def test_iis_config_is_valid_xml_and_sets_the_scheme():
    root = ET.parse(DEPLOY / "web.config").getroot()  # noqa: S314 - our own file
    variables = {s.get("name"): s.get("value") for s in root.iter("set")}
    assert variables == {"HTTP_X_FORWARDED_PROTO": "https"}
    rewrite = [a.get("url") for a in root.iter("action") if a.get("type") == "Rewrite"]
    assert rewrite == ["http://127.0.0.1:8080/{R:1}"]
    comment = (DEPLOY / "web.config").read_text(encoding="ascii")
    assert 'includePortInXForwardedFor:"False"' in comment


def test_proxy_examples_match_the_default_port():
    port = next(s.default for s in SETTINGS if s.name == "server.port")
    assert f"127.0.0.1:{port}" in (DEPLOY / "Caddyfile").read_text(encoding="ascii")
    nginx = (DEPLOY / "nginx-portal.conf").read_text(encoding="ascii")
    assert f"proxy_pass http://127.0.0.1:{port};" in nginx
    assert "X-Forwarded-Proto $scheme" in nginx and "X-Forwarded-For $remote_addr" in nginx


def test_admin_guide_covers_the_topics_and_real_commands():
    text = (ROOT / "docs" / "ADMIN.md").read_text(encoding="utf-8")
    for topic in ("ODBC Driver 18 for SQL Server", "CREATE LOGIN", "db_datareader", "DENY",
                  "gateway check", "PortalGateway", "trusted_proxy", "https = true",
                  "accounts backup", "/healthz", "/readyz", "incident", "pip install",
                  "pyodbc", "Upgrade", "Restore", "install-service.ps1"):
        assert topic in text, topic
    code = " ".join(re.findall(r"```.*?```", text, re.S) + re.findall(r"`[^`\n]+`", text))
    commands = re.findall(
        r"gateway(?:\.exe)?(?: --config \S+)? ([a-z][a-z-]*(?: [a-z][a-z-]*)?)", code)
    assert commands
    for command in commands:
        first, *rest = command.split()
        assert first in main.commands, command
        sub = main.commands[first]
        if rest and hasattr(sub, "commands"):
            assert rest[0] in sub.commands, command


# ---- config.example.ini ---------------------------------------------------------

def example_lines() -> list[tuple[str, str, str, str]]:
    """(section, key, value, comment above) for every setting line of the example."""
    out, section, comment = [], "", []
    text = (ROOT / "config.example.ini").read_text(encoding="utf-8")
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith(";"):
            comment.append(stripped.lstrip("; "))
        elif stripped.startswith("["):
            section, comment = stripped.strip("[]"), []
        elif "=" in stripped:
            key, _, value = stripped.partition("=")
            out.append((section, key.strip(), value.strip(), " ".join(comment)))
            comment = []
        else:
            comment = []
    return out


def test_example_config_documents_every_setting_with_its_default():
    found = {f"{s}.{k}": (v, c) for s, k, v, c in example_lines()}
    assert set(found) == {s.name for s in SETTINGS}, "settings missing from or unknown in " \
        "config.example.ini"
    for setting in SETTINGS:
        value, comment = found[setting.name]
        assert len(comment.split()) >= 5, f"{setting.name}: say what it is for"
        if setting.default is None:
            assert "Required" in comment, setting.name
        else:
            assert setting.parse(value) == setting.parse(setting.default) if value \
                else setting.default == "", f"{setting.name}: example {value!r} is not " \
                f"the default {setting.default!r}"


def test_example_config_is_what_the_settings_table_accepts():
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(ROOT / "config.example.ini", encoding="utf-8")
    assert {f"{s}.{k}" for s in parser.sections() for k in parser[s]} == \
        {s.name for s in SETTINGS}


# ---- Windows portability ---------------------------------------------------------

POSIX_MODULES = {"fcntl", "pwd", "grp", "resource", "termios", "tty", "pty", "posix",
                 "syslog", "crypt"}
POSIX_OS_CALLS = {"fork", "forkpty", "kill", "killpg", "setsid", "getuid", "geteuid", "getgid",
                  "getegid", "setuid", "setgid", "chown", "lchown", "getpgid", "setpgid",
                  "nice", "mkfifo", "mknod", "symlink", "link", "statvfs", "getloadavg",
                  "sysconf", "uname", "wait", "waitpid", "wait3", "wait4", "fchmod",
                  "fchown", "openpty", "getppid"}
POSIX_SIGNALS = {"SIGKILL", "SIGHUP", "SIGUSR1", "SIGUSR2", "SIGALRM", "SIGQUIT", "SIGCHLD",
                 "SIGPIPE", "SIGSTOP", "SIGCONT", "SIGTSTP", "SIGWINCH"}
POSIX_SIGNAL_CALLS = {"alarm", "setitimer", "pause", "siginterrupt", "pthread_kill"}
GATEWAY_FILES = sorted((ROOT / "gateway").rglob("*.py"))


def _name(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_name(node.value)}.{node.attr}"
    return ""


def posix_findings(source: str, filename: str) -> list[str]:
    """Calls and imports that exist only on POSIX, or break on Windows, in `source`."""
    found: list[str] = []
    tree = ast.parse(source, filename)

    def say(node: ast.AST, what: str) -> None:
        found.append(f"{filename}:{getattr(node, 'lineno', '?')}: {what}")

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in POSIX_MODULES:
                    say(node, f"import {alias.name}")
        elif isinstance(node, ast.ImportFrom):
            module = (node.module or "").split(".")[0]
            if module in POSIX_MODULES:
                say(node, f"from {node.module} import")
            if module == "os" and {a.name for a in node.names} & POSIX_OS_CALLS:
                say(node, "from os import a POSIX-only function")
            if module == "signal" and {a.name for a in node.names} & (
                    POSIX_SIGNALS | POSIX_SIGNAL_CALLS):
                say(node, "from signal import a POSIX-only name")
        elif isinstance(node, ast.Attribute):
            name = _name(node)
            if name in {f"os.{c}" for c in POSIX_OS_CALLS}:
                say(node, name)
            if name in {f"signal.{s}" for s in POSIX_SIGNALS | POSIX_SIGNAL_CALLS}:
                say(node, name)
            if name in {"os.sep", "os.pathsep", "os.O_NOFOLLOW", "os.O_CLOEXEC"}:
                pass
        elif isinstance(node, ast.Call):
            func = _name(node.func)
            keywords = {k.arg: k.value for k in node.keywords}
            shell = keywords.get("shell")
            if isinstance(shell, ast.Constant) and shell.value is True:
                say(node, "shell=True")
            if func in {"os.system", "os.popen"}:
                say(node, func)
            if func in {"os.path.join", "Path", "pathlib.Path"} or func.endswith("joinpath"):
                for arg in node.args:
                    if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and \
                            arg.value.startswith("/"):
                        say(node, f"absolute POSIX path {arg.value!r}")
            found.extend(_encoding_findings(node, func, keywords, filename))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            if re.match(r"^/(tmp|var|etc|usr|dev|home|opt|proc)(/|$)", node.value):
                say(node, f"hard-coded POSIX path {node.value!r}")
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            for side in (node.left, node.right):
                if isinstance(side, ast.Constant) and side.value == "/":
                    say(node, "path built with + '/' (use pathlib)")
    return found


def _encoding_findings(node: ast.Call, func: str, keywords: dict, filename: str) -> list[str]:
    """Text-mode open()/read_text()/write_text() must name their encoding.

    On Windows the default is the ANSI code page (cp1250), not UTF-8.
    """
    where = f"{filename}:{node.lineno}"
    args = node.args
    if func.endswith(".read_text") and "encoding" not in keywords and not args:
        return [f"{where}: {func}() without encoding="]
    if func.endswith(".write_text") and "encoding" not in keywords and len(args) < 2:
        return [f"{where}: {func}() without encoding="]
    if func == "open":
        mode = keywords.get("mode", args[1] if len(args) > 1 else None)
    elif func.endswith(".open") and not func.startswith(("os.", "sqlite3.")):
        # Path.open(mode, ...): a method called with anything but a literal mode
        # first (ledger.open(rng, ...)) is some other open.
        if args and not (isinstance(args[0], ast.Constant) and isinstance(args[0].value, str)):
            return []
        if func in {"tarfile.open", "zipfile.open", "gzip.open", "webbrowser.open"}:
            return []
        mode = keywords.get("mode", args[0] if args else None)
    else:
        return []
    mode_text = mode.value if isinstance(mode, ast.Constant) else "r"
    if isinstance(mode_text, str) and "b" not in mode_text and "encoding" not in keywords \
            and not (func == "open" and len(args) > 3):
        return [f"{where}: {func}() in text mode without encoding="]
    return []


@pytest.mark.parametrize("path", GATEWAY_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_posix_only_calls_and_explicit_encodings(path):
    source = path.read_text(encoding="utf-8")
    assert posix_findings(source, str(path.relative_to(ROOT))) == []


@pytest.mark.parametrize("snippet", [
    "import fcntl", "import pwd", "from resource import getrlimit", "os.fork()",
    "os.kill(pid, signal.SIGKILL)", "signal.signal(signal.SIGHUP, h)", "os.setsid()",
    "os.getuid()", "subprocess.run('ls', shell=True)", "p = '/tmp/portal.log'",
    "x = folder + '/' + name", "open('a.txt')", "open('a.txt', 'w')",
    "Path('a').read_text()", "p.write_text('x')", "p.open('w')", "os.path.join('/var', x)",
    "signal.alarm(3)",
])
def test_the_scan_catches_what_it_should(snippet):
    assert posix_findings(snippet, "<test>"), snippet


@pytest.mark.parametrize("snippet", [
    "open('a.bin', 'rb')", "p.open('rb')", "Path('a').read_text(encoding='utf-8')",
    "open('a.txt', 'w', encoding='utf-8')", "url = '/healthz'", "os.replace(a, b)",
    "ledger.open(rng, lok, 'EKS')", "files('gateway').joinpath('x').read_text('utf-8')",
    "signal.signal(signal.SIGINT, h)", "subprocess.run(['x'])", "sqlite3.connect(p)",
])
def test_the_scan_allows_portable_code(snippet):
    assert posix_findings(snippet, "<test>") == [], snippet


def test_config_with_crlf_bom_and_polish_text_loads(tmp_path):
    from gateway.config import load

    config = write_config(tmp_path, newline="\r\n", bom=True)
    settings = load(config)
    assert settings["PORTAL_COOPERATIVE_NAME"] == "SM „Łąkowa” w Żninie"
    assert settings["STORE_PATH"] == tmp_path / "var" / "store.sqlite3"
    assert settings["SECRET_KEY"] == KEY


def test_example_config_saved_by_notepad_loads(tmp_path):
    """Notepad: CRLF, and "UTF-8 with BOM" or plain UTF-8."""
    from gateway.config import load

    text = (ROOT / "config.example.ini").read_text(encoding="utf-8")
    for bom in (b"", b"\xef\xbb\xbf"):
        path = tmp_path / "config.ini"
        path.write_bytes(bom + text.replace("\n", "\r\n").encode("utf-8"))
        assert load(path)["PORTAL_OFFICE"] == "dział czynszów i opłat, pokój nr 4"


def test_queries_with_crlf_load_the_same(tmp_path):
    copy = tmp_path / "queries"
    shutil.copytree(ROOT / "queries", copy)
    for path in copy.rglob("*.sql"):
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes().replace(b"\n", b"\r\n"))
    original, windows = QuerySet(ROOT / "queries", "mssql"), QuerySet(copy, "mssql")
    assert sorted(original.queries) == sorted(windows.queries)
    for name, query in original.queries.items():
        other = windows.queries[name]
        assert (other.sql, other.params, other.columns) == \
            (query.sql, query.params, query.columns), name


def test_secret_key_file_written_by_notepad(tmp_path):
    (tmp_path / "secret.key").write_bytes(b"\xef\xbb\xbf" + KEY.encode() + b"\r\n")
    config = write_config(tmp_path, {"portal.secret_key": None,
                                     "portal.secret_key_file": "secret.key"})
    assert create_app(config).config["SECRET_KEY"] == KEY


def test_restore_command_puts_a_backup_back(tmp_path, runner, auth, store_sql):
    login, _start = auth.create(1)
    copy = tmp_path / "kopia" / "store.sqlite3"
    result = runner.invoke(["accounts", "backup", str(copy)])
    assert result.exit_code == 0 and "kont: 1" in result.output
    store_sql("DELETE FROM accounts")
    result = runner.invoke(["accounts", "restore", str(copy), "--yes"])
    assert result.exit_code == 0, result.output
    assert [r["login"] for r in store_sql("SELECT login FROM accounts")] == [login]
