"""What a resident owes per premises today and the ZBP transfer code to pay it.

Shared by the summary (Pulpit) and Wirtualne rachunki: `amount_due` reads every
account of every premises the resident holds today in one billing query.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import Any

from flask import current_app
from markupsafe import Markup

from ..billing import rows
from . import zbp

ZERO = Decimal("0.00")


def accounts_due(today: date, since: date | None = None) -> dict[int, list[dict[str, Any]]]:
    """Per premises, its open accounts with `due` (> 0 a debt, < 0 an overpayment)."""
    found = rows("amount_due", date_from=date(today.year, 1, 1), today=today,
                 since=since or today)
    by_premises: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for account in found:
        account["due"] = ((account["opening"] or ZERO) + (account["debit"] or ZERO)
                          - (account["credit"] or ZERO))
        by_premises[account["premises"]].append(account)
    return by_premises


def transfer_title(register_no: str, today: date) -> str:
    """The transfer's title: the premises' register number and the month (≤ 32)."""
    return f"Lokal {register_no} {today.month:02d}.{today.year}"[:zbp.MAX_TITLE]


def transfer_code(place: dict[str, Any], due: Decimal, today: date) -> dict[str, Any]:
    """The ZBP payload of one premises' transfer and its code as inline SVG.

    No code (None) when the billing data's NRB fails its check digits: a wrong code
    would send the money nowhere, the page then shows the number alone.
    """
    cfg = current_app.config
    try:
        payload = zbp.transfer(cfg["PORTAL_PAYEE_NIP"], place["nrb"], due,
                               cfg["PORTAL_QR_RECIPIENT_NAME"],
                               transfer_title(place["register_no"], today))
    except zbp.ZbpError:
        return {"payload": None, "qr": None, "amount_in_code": False, "title": None}
    # segno's SVG: presentation attributes only, no style attribute or script.
    qr = Markup(zbp.qr_svg(payload, "Kod QR do przelewu"))  # noqa: S704  # nosec B704
    return {"payload": payload, "qr": qr, "title": payload.split("|")[5],
            "amount_in_code": zbp.amount_fits(due) and due > 0}
