"""Pulpit, the landing page: "how much do I owe, and how do I pay?" (issue 14).

Per premises the resident holds today: each account's balance as of today (the
amount due or the overpayment, in words), the virtual account to pay into with the
ZBP transfer code, the last payment, the last utility settlement and how many
documents are dated after the previous visit. Two billing queries for the page:
`amount_due` (every account at once, with the last events) and `virtual_accounts`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import Blueprint, Response, abort, render_template, session
from flask_login import login_required

from ..billing import premises_label, rows
from . import zbp
from .payments import ZERO, accounts_due, transfer_code
from .security import PREVIOUS_VISIT

bp = Blueprint("summary", __name__)


def previous_visit() -> datetime | None:
    """The account's login before this session's (None at the first one)."""
    stored = session.get(PREVIOUS_VISIT)
    return datetime.fromisoformat(stored) if stored else None


def _latest(accounts: list[dict[str, Any]], on: str, value: str) -> dict[str, Any] | None:
    """The newest of the accounts' last events: its date and the sum of that day."""
    dated = [a for a in accounts if a[on] is not None]
    if not dated:
        return None
    newest = max(a[on] for a in dated)
    return {"on": newest, "amount": sum((a[value] or ZERO for a in dated if a[on] == newest),
                                        ZERO)}


def summary_page() -> dict[str, Any]:
    today = date.today()
    visit = previous_visit()
    since = visit.date() if visit else None  # the office's date is close enough for days
    dues = accounts_due(today, since)
    premises = []
    for place in rows("virtual_accounts", today=today):
        accounts = dues.get(place["premises"], [])
        due = sum((a["due"] for a in accounts), ZERO)
        premises.append(dict(
            place, label=premises_label(place), accounts=accounts, due=due,
            last_payment=_latest(accounts, "last_payment_on", "last_payment"),
            last_settlement=_latest(accounts, "last_settled_on", "last_settlement"),
            documents_since=sum(a["documents_since"] or 0 for a in accounts),
            **transfer_code(place, due, today)))
    return {"premises": premises, "read_at": datetime.now(), "previous_visit": visit}


@bp.get("/pulpit")
@login_required
def overview():
    return render_template("pages/summary.html", **summary_page())


@bp.get("/pulpit/kod/<int:premises>.png")
@login_required
def transfer_png(premises: int):
    """The same code as PNG for printing; only for the resident's own premises."""
    found = [p for p in summary_page()["premises"]
             if p["premises"] == premises and p["payload"]]
    if not found:
        abort(404)
    response = Response(zbp.qr_png(found[0]["payload"]), mimetype="image/png")
    response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Disposition"] = (
        f'attachment; filename="przelew-lokal-{premises}.png"')
    return response
