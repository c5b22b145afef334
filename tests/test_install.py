"""What an admin who followed the README gets (issue 22.11): pyodbc, the production
driver bridge, is a requirement of the portal itself, not an extra to remember, and
the demo script installs the unixODBC library it loads."""

from __future__ import annotations

import importlib.metadata
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_pyodbc_is_a_requirement_of_every_install():
    required = importlib.metadata.requires("coop-portal-gateway") or []
    plain = [r for r in required if "extra ==" not in r]
    assert any(re.match(r"pyodbc\b", r, re.I) for r in plain), plain
    import pyodbc  # the installed environment can load it (unixODBC is there)

    assert pyodbc.version


def test_both_scripts_install_unixodbc():
    for script in ("scripts/demo.sh", "scripts/test.sh"):
        text = (ROOT / script).read_text(encoding="utf-8")
        assert re.search(r"apt_install [^\n]*\bunixodbc\b", text), script
