"""Browser end-to-end fixtures.

The portal runs under a real waitress server in a thread (127.0.0.1, a free
port) on the demo billing database; Debian's Chromium (never a downloaded
browser) is driven by Playwright through pytest-playwright, whose launch and
context arguments are overridden here. Every page is watched by a Monitor
(console errors, failed requests, HTTP errors, CSP violations).

Needs /usr/bin/chromium (or $CHROMIUM) and, for the accessibility tests,
axe-core ($AXE_JS, else var/node/node_modules/axe-core/axe.min.js as
scripts/test.sh installs it). Missing: a skip locally, a failure when CI=true.
Screenshots go to $SCREENSHOT_DIR, else test-artifacts/screenshots/<time>/.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import base_settings
from flask import Flask
from waitress.server import create_server

from gateway import create_app

from .support import CSP_LISTENER, VIEWPORTS, Expected, Monitor, Portal, Shots

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run"]
DEFAULT_AXE = ROOT / "var" / "node" / "node_modules" / "axe-core" / "axe.min.js"
SHOTS_KEY = pytest.StashKey[Shots]()


def need(ok: bool, reason: str) -> None:
    """A missing tool: skip with the reason on a developer's machine, fail in CI."""
    if ok:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: the test script must install it)", pytrace=False)
    pytest.skip(f"{reason}; `bash scripts/test.sh` installs it")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.browser)


# ---- the portal under waitress ------------------------------------------------------

@dataclass
class LiveServer:
    app: Flask
    url: str


@pytest.fixture(scope="session")
def live_server(demo_path: Path, tmp_path_factory: pytest.TempPathFactory
                ) -> Iterator[LiveServer]:
    """The portal on the demo database, served by waitress on 127.0.0.1 (a free port)."""
    settings = base_settings(tmp_path_factory.mktemp("portal"), f"sqlite:{demo_path}")
    settings["TESTING"] = False  # behave as in production (errors become error pages)
    app = create_app(test_config=settings)
    logging.getLogger("waitress").setLevel(logging.ERROR)
    server = create_server(app, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, name="waitress", daemon=True)
    thread.start()
    yield LiveServer(app, f"http://127.0.0.1:{server.effective_port}")
    server.close()
    server.task_dispatcher.shutdown()
    thread.join(timeout=5)


class Office:
    """Room 4: start credentials from the staff CLI, `gateway accounts create N --json`
    (or `accounts reset LOGIN --json` when the resident already has an account)."""

    def __init__(self, app: Flask):
        self.app = app
        self.logins: dict[int, str] = {}

    def issue(self, resident: int) -> dict[str, str]:
        from click.testing import CliRunner

        from gateway.cli import Context, main

        obj = Context(None)
        obj._app = self.app
        login = self.logins.get(resident)
        args = (["accounts", "reset", login, "--json"] if login else
                ["accounts", "create", str(resident), "--json"])
        result = CliRunner().invoke(main, args, obj=obj, catch_exceptions=False)
        assert result.exit_code == 0, result.output
        slip = json.loads(result.stdout)
        assert {"login", "start_password", "resident", "expires"} <= set(slip), slip
        self.logins[resident] = slip["login"]
        return slip


@pytest.fixture(scope="session")
def office(live_server: LiveServer) -> Office:
    return Office(live_server.app)


@pytest.fixture(scope="session")
def expected(demo_sql: Callable[..., list[Any]]) -> Callable[[int], Expected]:
    """Expected values for a resident, from our own SQL on the demo database."""
    return lambda resident: Expected(demo_sql, resident)


# ---- Debian's Chromium through pytest-playwright ---------------------------------------

@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    need(CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK),
         f"no Chromium at {CHROMIUM} (Debian package chromium)")
    return {**browser_type_launch_args, "executable_path": str(CHROMIUM),
            "args": LAUNCH_ARGS}


@pytest.fixture(scope="session")
def base_url(live_server: LiveServer) -> str:
    """pytest-playwright's base URL: the live portal (relative paths in page.goto)."""
    return live_server.url


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_context_args, "locale": "pl-PL", "timezone_id": "Europe/Warsaw"}


@pytest.fixture(scope="session")
def axe_js() -> Path:
    path = Path(os.environ.get("AXE_JS") or DEFAULT_AXE)
    need(path.is_file(), f"axe-core not found at {path} (set AXE_JS; npm package axe-core)")
    return path


# ---- screenshots --------------------------------------------------------------------------

@pytest.fixture(scope="session")
def shots(pytestconfig: pytest.Config) -> Shots:
    folder = os.environ.get("SCREENSHOT_DIR") or (
        ROOT / "test-artifacts" / "screenshots" / datetime.now().strftime("%Y%m%d-%H%M%S"))
    found = Shots(Path(folder).resolve())
    pytestconfig.stash[SHOTS_KEY] = found
    return found


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    found = config.stash.get(SHOTS_KEY, None)
    if found is not None and found.taken:
        terminalreporter.write_line(
            f"browser tests: {len(found.taken)} screenshots in {found.folder}")


# ---- watched pages ---------------------------------------------------------------------------

@pytest.fixture
def open_portal(new_context: Callable[..., Any], live_server: LiveServer, shots: Shots,
                request: pytest.FixtureRequest) -> Iterator[Callable[..., Portal]]:
    """open_portal("desktop" | "phone", axe=False, prefix=None) -> a new watched tab
    in a fresh browser context (no cookies)."""
    opened: list[Portal] = []

    def open_(viewport: str = "desktop", *, axe: bool = False, prefix: str = "") -> Portal:
        context = new_context(**VIEWPORTS[viewport])
        context.set_default_timeout(10_000)
        context.add_init_script(script=CSP_LISTENER)
        if axe:
            context.add_init_script(path=str(request.getfixturevalue("axe_js")))
        page = context.new_page()
        portal = Portal(page, Monitor(page, live_server.url), shots, viewport, prefix)
        opened.append(portal)
        return portal

    yield open_
    leftovers = [problem for portal in opened for problem in portal.monitor.take()]
    assert not leftovers, "problems in the browser after the test:\n  " + "\n  ".join(leftovers)
