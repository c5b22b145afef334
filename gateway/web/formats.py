"""Polish formats for templates: money `1 234,56 zł`, dates `dd.mm.rrrr`, NRB in fours.

The CLDR Polish conventions (grouping with a no-break space, decimal comma) are
written out here with str.format instead of calling babel for every cell (a
page has hundreds of cells; bench/RESULTS.md has the cost). The tests check these
functions against babel's own output (`tests/test_formats.py`), so the rules stay
babel's; no locale of the host OS is needed (Windows).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask import Flask
from markupsafe import Markup, escape

NBSP = "\u00a0"  # CLDR pl group separator
OFFICE_ZONE = ZoneInfo("Europe/Warsaw")  # times residents and staff read are Polish time
MINUS = "\u2212"  # a real minus sign: harder to miss than a hyphen
QUANTA = tuple(Decimal(1).scaleb(-places) for places in range(9))
MONTHS = ("styczeń", "luty", "marzec", "kwiecień", "maj", "czerwiec", "lipiec", "sierpień",
          "wrzesień", "październik", "listopad", "grudzień")


def _fixed(value: Decimal, places: int) -> str:
    """`value` rounded to `places` (half to even, as babel), grouped in threes."""
    negative = value.is_signed()
    text = f"{abs(value).quantize(QUANTA[places]):,f}"
    text = text.replace(",", NBSP).replace(".", ",")
    return MINUS + text if negative else text


def money(value: Decimal | None, currency: bool = True) -> str:
    if value is None:
        return "—"
    text = _fixed(value, 2)
    return f"{text}{NBSP}zł" if currency else text


def amount(value: Decimal | None) -> Markup:
    """Money in a span (a turnover, a charge, a storno with its minus): no debt or
    overpayment meaning of its own; balances go through `owed`."""
    css = "amount negative" if value is not None and value < 0 else "amount"
    # money() yields digits, spaces, a comma, a minus sign and "zł"; escaped all the same.
    return Markup(f'<span class="{css}">{escape(money(value))}</span>')  # noqa: S704  # nosec B704


def owed(value: Decimal | None, debt_word: str = "do zapłaty") -> Markup:
    """A balance or settlement difference in words: what the resident owes or overpaid.

    The billing sign convention (Wn minus Ma): above zero the resident owes the
    cooperative, below zero they paid more than was charged. The page says so in
    words with the amount unsigned, so a minus is never read as a debt:
    "do zapłaty 1 234,56 zł" (or `debt_word`, "niedopłata" for a settlement),
    "nadpłata 1 071,29 zł"; zero is plain "0,00 zł".
    """
    if value is None or value == 0:
        return amount(value)
    css, word = ("amount-debt", debt_word) if value > 0 else ("amount-overpaid", "nadpłata")
    html = (f'<span class="amount {css}"><span class="amount-word">{escape(word)}</span> '
            f'{escape(money(abs(value)))}</span>')
    return Markup(html)  # noqa: S704  # nosec B704  # the word and the amount are escaped


def number(value: Decimal | None, places: int = 3) -> str:
    if value is None:
        return "—"
    return _fixed(value, places)


def rate(value: Decimal | None) -> str:
    """A rate with two decimals, or up to four when the grosze have fractions."""
    if value is None:
        return "—"
    places = 2 if value == value.quantize(QUANTA[2]) else 4
    return number(value.normalize() if places == 4 else value, places)


def day(value: date | None) -> str:
    return f"{value.day:02d}.{value.month:02d}.{value.year:04d}" if value else "—"


def moment(value: datetime | None) -> str:
    if not value:
        return "—"
    return (f"{value.day:02d}.{value.month:02d}.{value.year:04d}, "
            f"{value.hour:02d}:{value.minute:02d}:{value.second:02d}")


def local_moment(value: float | str | datetime | None) -> str:
    """A stored UTC moment (epoch seconds, ISO text or datetime) in the office's zone,
    'dd.mm.rrrr, GG:MM' (what residents read on the security page)."""
    if value is None or value == "":
        return "—"
    if isinstance(value, (int, float)):
        when = datetime.fromtimestamp(value, UTC)
    else:
        when = datetime.fromisoformat(value) if isinstance(value, str) else value
        when = when if when.tzinfo else when.replace(tzinfo=UTC)
    when = when.astimezone(OFFICE_ZONE)
    return f"{when.day:02d}.{when.month:02d}.{when.year:04d}, {when.hour:02d}:{when.minute:02d}"


def month_name(month: int) -> str:
    return MONTHS[month - 1]


def nrb(value: str | None) -> str:
    """'12 3456 7890 …': two check digits, then groups of four."""
    if not value:
        return "—"
    digits = "".join(ch for ch in value if ch.isdigit())
    return " ".join([digits[:2]] + [digits[i:i + 4] for i in range(2, len(digits), 4)])


def unit(value: str | None) -> str:
    """Legacy ASCII units as people write them: m2 → m², m3 → m³."""
    return {"m2": "m²", "m3": "m³"}.get(value or "", value or "")


def init_app(app: Flask) -> None:
    app.jinja_env.filters.update(money=money, amount=amount, owed=owed, number=number, day=day,
                                 moment=moment,
                                 local_moment=local_moment,
                                 month_name=month_name, nrb=nrb, unit=unit, rate=rate)
