"""A page's context as a PDF statement: whose premises, which account and period, the
table with the page's figures, the totals, the notes, the account to pay into."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import current_app

from ..billing import premises_address, premises_label, rows
from ..documents import Payment, Statement, Table
from . import builders as resident
from . import formats as F
from . import tables

EXCLUSION_NOTICE = ("Informacje nie uwzględniają (jeśli takowe występują) zaległości "
                    "dochodzonych na drodze postępowania sądowego, a także zobowiązań "
                    "wynikających z otrzymanych od spółdzielni faktur.")
SIGN_NOTE = "Saldo dodatnie oznacza należność wobec spółdzielni, ujemne – nadpłatę."


def premises_of(ctx: dict[str, Any]) -> dict[str, Any]:
    return next(p for p in ctx["premises"] if p["premises"] == ctx["lokal"])


def _statement(title: str, ctx: dict[str, Any], table: Table, facts: list[tuple[str, str]],
               **more: Any) -> Statement:
    cfg = current_app.config
    where = premises_of(ctx)
    head = [("Mieszkaniec", resident.display_name() or ""),
            ("Lokal", f"{premises_label(where)} ({premises_address(where, with_city=True)})")]
    return Statement(title=title, cooperative=cfg["PORTAL_COOPERATIVE_NAME"],
                     cooperative_address=cfg["PORTAL_COOPERATIVE_ADDRESS"],
                     facts=head + facts + [("Stan na", F.moment(ctx["read_at"]))],
                     table=table, **more)


def _account(ctx: dict[str, Any]) -> str:
    return f"{ctx['account']['account_no']} – {ctx['account']['account_name']}"


def _year(rok: int) -> str:
    return f"rok {rok} ({F.day(date(rok, 1, 1))} – {F.day(date(rok, 12, 31))})"


def ledger(ctx: dict[str, Any]) -> Statement:
    s = ctx["summary"]
    closing = s["closing"]
    meaning = (f"Zadłużenie (do zapłaty): {F.money(closing)}" if closing > 0 else
               f"Nadpłata: {F.money(-closing)}" if closing < 0 else
               "Saldo wynosi zero: brak zaległości i nadpłaty.")
    totals = [("Saldo początkowe", F.money(s["opening"])),
              ("Obroty Wn (należności)", F.money(s["debit"])),
              ("Obroty Ma (wpłaty i uznania)", F.money(s["credit"])),
              ("Saldo końcowe", F.money(closing)), ("Wynik", meaning)]
    return _statement(f"Księgowość – zestawienie dokumentów, rok {ctx['rok']}", ctx,
                      tables.ledger_documents(ctx, tables.PRINT),
                      [("Konto", _account(ctx)), ("Okres", _year(ctx["rok"]))],
                      totals=totals, notes=[SIGN_NOTE, EXCLUSION_NOTICE])


def rent(ctx: dict[str, Any]) -> Statement:
    month = f"{F.month_name(ctx['miesiac'])} {ctx['rok']}"
    where = premises_of(ctx)
    return _statement(f"Czynsz (opłata eksploatacyjna): {month}", ctx,
                      tables.rent_components(ctx, tables.PRINT), [("Okres", month)],
                      totals=[("Razem do zapłaty", F.money(ctx["total"])),
                              ("Termin płatności", F.day(ctx["due"]))],
                      payment=payment(where, ctx))


def payment(where: dict[str, Any], ctx: dict[str, Any]) -> Payment | None:
    """The premises' virtual account today (none when the resident no longer holds it).

    Hook for the ZBP QR code of the payment issue: fill `Payment.qr_png` here."""
    cfg = current_app.config
    for row in rows("virtual_accounts", today=date.today()):
        if row["premises"] == where["premises"]:
            return Payment(nrb=F.nrb(row["nrb"]), payee=cfg["PORTAL_PAYEE_NAME"],
                           payee_address=cfg["PORTAL_PAYEE_ADDRESS"],
                           title=(f"Opłata eksploatacyjna {ctx['miesiac']:02d}/{ctx['rok']}, "
                                  f"lokal {where['register_no']}"),
                           amount=F.money(ctx["total"]), due=F.day(ctx["due"]))
    return None


def settlements(ctx: dict[str, Any]) -> Statement:
    balance = ctx["balance"]
    meaning = (f"niedopłata {F.money(balance)}" if balance > 0 else
               f"nadpłata {F.money(-balance)}" if balance < 0 else "bez różnicy")
    return _statement(f"Media – rozliczenia, rok {ctx['rok']}", ctx,
                      tables.settlements(ctx, tables.PRINT),
                      [("Konto", _account(ctx)), ("Okres", _year(ctx["rok"]))],
                      totals=[("Razem różnica", F.money(balance)), ("Wynik", meaning)],
                      notes=["Niedopłata zwiększa należność na koncie, nadpłata ją zmniejsza "
                             "(lub zostaje zwrócona na wniosek)."], landscape=True)
