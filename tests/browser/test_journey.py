"""End-to-end: the resident's journey in headless Chromium at desktop size, with a mouse."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .journey import run_journey
from .support import Mouse

pytestmark = pytest.mark.browser


def test_resident_journey_desktop(open_portal, office, expected):
    portal = open_portal("desktop")
    Mouse(portal)
    run_journey(portal, office, expected(1))
    assert len(portal.arrived) >= 12


def test_watcher_catches_what_it_must(open_portal):
    """The page watcher is not blind: an inline script (CSP), a console error, a failed
    request and an HTTP error are all reported."""
    portal = open_portal("desktop")
    page = portal.page
    portal.goto("/")
    expect(portal.heading()).to_have_text("Informacje dla lokatorów")
    portal.monitor.assert_clean("public page")

    page.evaluate("""() => {
        const s = document.createElement('script');
        s.textContent = 'window.injected = 1';
        document.body.append(s);
    }""")
    page.wait_for_function("() => true")
    assert page.evaluate("() => window.injected") is None  # CSP blocked it
    page.evaluate("() => console.error('boom')")
    page.evaluate("() => fetch('/nie-ma-takiej-strony').catch(() => null)")
    page.route("**/zerwane-polaczenie", lambda route: route.abort("connectionreset"))
    page.evaluate("() => fetch('/zerwane-polaczenie').catch(() => null)")
    page.evaluate("() => fetch('http://127.0.0.1:9/').catch(() => null)")  # CSP: connect-src
    page.wait_for_timeout(300)
    found = "\n".join(portal.monitor.take())
    assert "CSP violation: script-src" in found
    assert "boom" in found
    assert "HTTP 404" in found
    assert "request failed: GET" in found and "zerwane-polaczenie" in found
    assert "connect-src" in found
