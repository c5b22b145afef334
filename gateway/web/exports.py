"""Download a page's table as CSV or its statement as PDF.

Each file runs the page's own builder with the request's parameters, so it is
scoped exactly like the page: a foreign id is the page's 404, a malformed one
its 400, a period without data the page's 404 with the form (never an empty
file), the billing database down the 503 of every page.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, render_template
from flask_login import login_required

from ..documents import Statement, Table, csv_bytes, statement_pdf
from . import builders as resident
from . import statements, tables
from .choices import NoData
from .params import ParamError

bp = Blueprint("exports", __name__)
Build = Callable[[], dict[str, Any]]

# page: (template, builder, the context key holding its rows, the file's base name)
PAGES: dict[str, tuple[str, Build, str, Callable[[dict[str, Any]], str]]] = {
    "ledger": ("pages/ledger.html", lambda: resident.ledger_page(details=True), "documents",
               lambda c: f"ksiegowosc-{c['account']['account_no']}-{c['rok']}"),
    "rent": ("pages/rent.html", resident.rent_page, "components",
             lambda c: f"czynsz-{c['rok']}-{c['miesiac']:02d}-{c['lokal']}"),
    "readings": ("pages/readings.html", resident.readings_page, "readings",
                 lambda c: f"odczyty-{c['medium']}-{c['rok']}-{c['lokal']}"),
    "settlements": ("pages/settlements.html", resident.settlements_page, "settlements",
                    lambda c: f"rozliczenia-{c['account']['account_no']}-{c['rok']}"),
}


def _context(page: str) -> dict[str, Any] | Any:
    """The page builder's context, or the page's own answer when there is no data."""
    template, build, key, _ = PAGES[page]
    try:
        ctx = build()
    except ParamError as exc:
        return render_template(template, form_error=str(exc), invalid=True), 400
    except NoData as exc:
        return render_template(template, **exc.context), 404
    if ctx.get(key) is None:  # nothing to show at all (no premises with such data)
        return render_template(template, **dict(ctx, missing=True)), 404
    return ctx


def _file(page: str, body: bytes, ctx: dict[str, Any], suffix: str, mimetype: str) -> Response:
    name = re.sub(r"[^A-Za-z0-9-]+", "-", PAGES[page][3](ctx)).strip("-") + suffix
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _csv(page: str, table_of: Callable[[dict[str, Any], tables.Style], Table]):
    ctx = _context(page)
    if not isinstance(ctx, dict):
        return ctx
    table = table_of(ctx, tables.CSV)
    return _file(page, csv_bytes(table.header, table.rows), ctx, ".csv",
                 "text/csv; charset=utf-8")


def _pdf(page: str, statement_of: Callable[[dict[str, Any]], Statement]):
    ctx = _context(page)
    if not isinstance(ctx, dict):
        return ctx
    return _file(page, statement_pdf(statement_of(ctx)), ctx, ".pdf", "application/pdf")


@bp.get("/ksiegowosc/szczegoly.csv")
@login_required
def ledger_csv():
    return _csv("ledger", tables.ledger_documents)


@bp.get("/ksiegowosc/szczegoly.pdf")
@login_required
def ledger_pdf():
    return _pdf("ledger", statements.ledger)


@bp.get("/czynsz.csv")
@login_required
def rent_csv():
    return _csv("rent", tables.rent_components)


@bp.get("/czynsz.pdf")
@login_required
def rent_pdf():
    return _pdf("rent", statements.rent)


@bp.get("/media/odczyty.csv")
@login_required
def readings_csv():
    return _csv("readings", tables.meter_readings)


@bp.get("/media/rozliczenia.csv")
@login_required
def settlements_csv():
    return _csv("settlements", tables.settlements)


@bp.get("/media/rozliczenia.pdf")
@login_required
def settlements_pdf():
    return _pdf("settlements", statements.settlements)
