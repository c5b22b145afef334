"""The ZBP two-dimensional transfer code ("Rekomendacja ZBP dotycząca kodu
dwuwymiarowego"): the payload Polish banking apps read, and the validators of
its NIP and NRB. Pure functions, no Flask, no database.

Payload: 9 fields joined by '|': NIP | country | NRB | amount in grosze
(6 digits) | recipient name | title | (3 reserved, empty) — at most 160
characters, UTF-8; '|' is never inside a field.
"""

from __future__ import annotations

from decimal import Decimal

from ..config import nip_valid

__all__ = ["MAX_AMOUNT", "NO_AMOUNT", "ZbpError", "amount_field", "amount_fits", "nip_valid",
           "nrb_valid", "payload", "qr_png", "qr_svg", "transfer"]

MAX_AMOUNT = Decimal("9999.99")     # 6 digits of grosze
MAX_NAME = 20
MAX_TITLE = 32
MAX_PAYLOAD = 160
NO_AMOUNT = "000000"                # the bank app asks the payer to type it


class ZbpError(ValueError):
    """A field that cannot go into the payload (says which and why)."""


def nrb_valid(nrb: str) -> bool:
    """A 26-digit NRB whose check digits are right (IBAN mod 97 with 'PL' = 2521)."""
    if len(nrb) != 26 or not nrb.isascii() or not nrb.isdigit():
        return False
    return int(nrb[2:] + "2521" + nrb[:2]) % 97 == 1


def amount_field(amount: Decimal | None) -> str:
    """Grosze, 6 digits; NO_AMOUNT when nothing is due or it does not fit.

    Zero, an overpayment (negative) and anything above 9 999,99 zł go as
    000000: the payer types the amount (the page says so).
    """
    if amount is None or amount <= 0 or amount > MAX_AMOUNT:
        return NO_AMOUNT
    return f"{int((amount * 100).to_integral_value()):06d}"


def amount_fits(amount: Decimal | None) -> bool:
    """Whether the code carries the amount (else the payer must type it)."""
    return amount_field(amount) != NO_AMOUNT


def _field(name: str, value: str, limit: int) -> str:
    if "|" in value:
        raise ZbpError(f"{name}: '|' is not allowed")
    if len(value) > limit:
        raise ZbpError(f"{name}: at most {limit} characters")
    return value


def payload(nip: str, nrb: str, amount: str, name: str, title: str) -> str:
    """The ZBP payload from already formatted fields (amount as 6 digits of grosze).

    NIP may be empty (the recommendation allows it); when given it must be 10
    digits (its checksum is the configuration's concern, see nip_valid).
    """
    if nip and (len(nip) != 10 or not nip.isdigit()):
        raise ZbpError("NIP: 10 digits or empty")
    if not nrb_valid(nrb):
        raise ZbpError("NRB: 26 digits with valid check digits")
    if len(amount) != 6 or not amount.isascii() or not amount.isdigit():
        raise ZbpError("amount: 6 digits of grosze")
    text = "|".join((nip, "PL", nrb, amount, _field("name", name, MAX_NAME),
                     _field("title", title, MAX_TITLE), "", "", ""))
    if len(text) > MAX_PAYLOAD:
        raise ZbpError(f"payload: at most {MAX_PAYLOAD} characters")
    return text


def transfer(nip: str, nrb: str, amount: Decimal | None, name: str, title: str) -> str:
    """The payload for an amount in złoty (negative/None/too large → 000000)."""
    return payload(nip, nrb, amount_field(amount), name, title)


MIN_PNG_PIXELS = 250                # big enough to print and scan


def _symbol(text: str):
    import segno

    # Error correction L, as the recommendation says; UTF-8 bytes (Polish letters).
    return segno.make(text, error="l", boost_error=False, encoding="utf-8")


def qr_svg(text: str, title: str) -> str:
    """Inline SVG (presentation attributes only, no style attribute, no script: CSP-clean)."""
    return _symbol(text).svg_inline(scale=4, omitsize=True, title=title)


def qr_png(text: str) -> bytes:
    """The same code as PNG, at least MIN_PNG_PIXELS wide, for printing."""
    import io

    symbol = _symbol(text)
    modules = symbol.symbol_size(scale=1, border=4)[0]
    out = io.BytesIO()
    symbol.save(out, kind="png", scale=-(-MIN_PNG_PIXELS // modules), border=4)
    return out.getvalue()
