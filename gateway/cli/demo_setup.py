"""`gateway demo setup`: everything the README's first command needs.

Leaves ./config.ini (from config.example.ini, with a fresh secret key) so
that later `gateway` commands in the project folder act on the same demo
portal, builds the demo billing database once, and prints a demo login.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from pathlib import Path

from ..config import PROJECT_DIR

DEMO_DB = "var/demo-billing.sqlite3"
DEMO_RESIDENT = "1"


def write_config(path: Path) -> bool:
    """Create `path` from config.example.ini; False when it already exists."""
    if path.exists():
        return False
    text = (PROJECT_DIR / "config.example.ini").read_text(encoding="utf-8")
    text = re.sub(r"(?m)^secret_key =.*$", f"secret_key = {secrets.token_urlsafe(48)}", text)
    text = re.sub(r"(?m)^connection =.*$", f"connection = sqlite:{DEMO_DB}", text)
    path.write_text(text, encoding="utf-8")
    return True


def setup(obj, premises: int, years: int, echo: Callable[[str], None]) -> None:
    from ..demo.generate import build
    from ..store import accounts

    if write_config(obj.path):
        echo(f"Utworzono {obj.path} (z config.example.ini, z nowym kluczem).")
    app = obj.app()
    connection = app.config["BILLING_CONNECTION"]
    if connection.startswith("sqlite:") and not Path(connection[7:]).exists():
        echo(f"Buduję demonstracyjną bazę rozliczeniową ({premises} lokali, {years} lat)…")
        build(connection, premises=premises, years=years, seed=1, progress=echo)
    with app.app_context():
        account = accounts.by_resident(DEMO_RESIDENT)
        if account is None:
            account, start = accounts.create(DEMO_RESIDENT)
        elif account.must_change:
            account, start = accounts.reset(account.login)
        else:
            echo(f"Konto demonstracyjne: login {account.login} (hasło już ustalone; nowe "
                 f"hasło startowe: gateway accounts reset {account.login}).")
            return
    echo("")
    echo("Logowanie demonstracyjne (mieszkaniec nr 1, Jan Kowalski):")
    echo(f"  login:          {account.login}")
    echo(f"  hasło startowe: {start}")
    echo("Po zalogowaniu portal poprosi o ustalenie własnego hasła.")
