"""A browser's User-Agent in words a resident recognises ("Chrome, Windows")."""

from __future__ import annotations

# Order matters: Edge and Opera say "Chrome" too, Chrome says "Safari".
BROWSERS = (("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"),
            ("SamsungBrowser/", "Samsung Internet"), ("Chrome/", "Chrome"),
            ("Chromium/", "Chromium"), ("Safari/", "Safari"))
SYSTEMS = (("Android", "Android"), ("iPhone", "iPhone"), ("iPad", "iPad"),
           ("Windows", "Windows"), ("Mac OS X", "macOS"), ("CrOS", "ChromeOS"),
           ("Linux", "Linux"))


def browser_in_words(agent: str | None) -> str:
    """'Firefox, Android'; 'nieznana przeglądarka' when nothing is recognised."""
    agent = agent or ""
    browser = next((name for mark, name in BROWSERS if mark in agent), None)
    system = next((name for mark, name in SYSTEMS if mark in agent), None)
    if "HeadlessChrome/" in agent:
        browser = "Chrome (bez okna)"
    if browser is None and system is None:
        return "nieznana przeglądarka"
    return ", ".join(p for p in (browser or "przeglądarka", system) if p)
