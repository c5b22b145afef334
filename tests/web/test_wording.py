"""Wording: units a resident may not know are explained, meter replacement rows are
explained, and no page speaks to a company as to a man or a woman ("miałeś(-aś)")."""

from __future__ import annotations

import re
from pathlib import Path

from pagehtml import Page

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def test_heat_cost_allocator_units_are_explained(logged_in, client, demo_sql):
    years = [int(r[0]) for r in demo_sql(
        "SELECT DISTINCT substr(o.DATA_ODCZ, 1, 4) FROM ODCZYTY o JOIN LICZNIKI m "
        "ON m.ID_LICZ = o.ID_LICZ WHERE m.ID_LOK = 1 AND m.KOD_MED = 'CO'")]
    assert years
    page = Page(client.get(f"/media/odczyty?lokal=1&medium=CO&rok={years[-1]}"))
    assert "jednostki podzielnika kosztów ciepła" in page.text
    water = Page(client.get("/media/odczyty?lokal=1&medium=ZW"))
    assert "jednostki podzielnika" not in water.text


def test_meter_replacement_rows_are_explained(logged_in, client, demo_sql):
    swap = demo_sql("SELECT m.KOD_MED, o.DATA_ODCZ FROM ODCZYTY o JOIN LICZNIKI m "
                    "ON m.ID_LICZ = o.ID_LICZ WHERE m.ID_LOK = 1 AND o.RODZ_ODCZ = 'W'")[0]
    page = Page(client.get(f"/media/odczyty?lokal=1&medium={swap[0]}&rok={swap[1][:4]}"))
    assert "wymianie są dwa wiersze" in page.text


def test_no_gendered_second_person_forms_in_templates():
    found = [f"{path.name}: {m.group(0)}" for path in TEMPLATES.rglob("*.html")
             for m in re.finditer(r"\w+(?:eś|aś)\s*\(-\w+\)", path.read_text("utf-8"))]
    assert not found, found
