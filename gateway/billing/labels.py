"""How a person and a premises are named: one place for pages, the CLI and slips."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

KINDS = {"M": "Lokal mieszkalny", "G": "Garaż", "U": "Lokal użytkowy"}


def person_name(row: Mapping[str, Any]) -> str:
    """A company by its name, a person as 'first last' (either part may be missing)."""
    if row.get("company"):
        return row["company"]
    return " ".join(p for p in (row.get("first_name"), row.get("last_name")) if p)


def premises_address(row: Mapping[str, Any], with_city: bool = False) -> str:
    """'Lipowa 3/12' for a flat, 'Lipowa 3, nr G5' for a garage or commercial premises;
    with the city: 'Lipowa 3/12, 00-950 Gródek' (the postal code when the row has it)."""
    address = f"{row['street']} {row['house_no']}"
    if row.get("kind", "M") == "M":
        address += f"/{row['premises_no']}"
    else:
        address += f", nr {row['premises_no']}"
    if with_city and row.get("city"):
        place = " ".join(p for p in (row.get("postal_code"), row["city"]) if p)
        address += f", {place}"
    return address


def premises_label(row: Mapping[str, Any]) -> str:
    """'Lokal mieszkalny 01-/0001, Lipowa 3/12': what a select box and a heading show."""
    return f"{KINDS.get(row['kind'], 'Lokal')} {row['register_no']}, {premises_address(row)}"
