"""Pulpit: "how much do I owe, and how do I pay?" (issue 14, first part).

Per premises the resident holds today: each account's balance as of today (the
amount due or the overpayment, in words), the virtual account to pay into, and the
Polish banks' transfer QR code (ZBP) with that amount. Two billing queries for the
page: `amount_due` (every account at once) and `virtual_accounts`.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask import Blueprint, Response, abort, current_app, render_template
from flask_login import login_required
from markupsafe import Markup

from ..billing import premises_label, rows
from . import zbp

bp = Blueprint("summary", __name__)
ZERO = Decimal("0.00")


def _title(register_no: str, today: date) -> str:
    """The transfer's title: the premises' register number and the month (≤ 32)."""
    return f"Lokal {register_no} {today.month:02d}.{today.year}"[:zbp.MAX_TITLE]


def summary_page() -> dict[str, Any]:
    today = date.today()
    dues = rows("amount_due", date_from=date(today.year, 1, 1), today=today)
    cfg = current_app.config
    premises = []
    for place in rows("virtual_accounts", today=today):
        accounts = [dict(a, due=(a["opening"] or ZERO) + (a["debit"] or ZERO)
                         - (a["credit"] or ZERO))
                    for a in dues if a["premises"] == place["premises"]]
        due = sum((a["due"] for a in accounts), ZERO)
        try:
            payload = zbp.transfer(cfg["PORTAL_PAYEE_NIP"], place["nrb"], due,
                                   cfg["PORTAL_QR_RECIPIENT_NAME"],
                                   _title(place["register_no"], today))
        except zbp.ZbpError:  # e.g. an NRB with a wrong check digit in the billing data
            payload = None
        # segno's SVG: presentation attributes only, no style attribute or script.
        qr = Markup(zbp.qr_svg(payload, "Kod QR do przelewu")) if payload else None  # noqa: S704  # nosec B704
        premises.append(dict(place, label=premises_label(place), accounts=accounts, due=due,
                             payload=payload, amount_in_code=zbp.amount_fits(due) and due > 0,
                             qr=qr))
    return {"premises": premises, "read_at": datetime.now()}


@bp.get("/pulpit")
@login_required
def overview():
    return render_template("pages/summary.html", **summary_page())


@bp.get("/pulpit/kod/<int:premises>.png")
@login_required
def transfer_code(premises: int):
    """The same code as PNG for printing; only for the resident's own premises."""
    found = [p for p in summary_page()["premises"]
             if p["premises"] == premises and p["payload"]]
    if not found:
        abort(404)
    response = Response(zbp.qr_png(found[0]["payload"]), mimetype="image/png")
    response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Disposition"] = (
        f'attachment; filename="przelew-{premises}.png"')
    return response
