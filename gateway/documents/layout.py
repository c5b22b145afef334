"""What a statement is made of: text already formatted by the caller."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

FONTS = Path(__file__).resolve().parent / "fonts"


@dataclass(frozen=True)
class Column:
    title: str
    width: float = 1.0  # relative to the other columns
    numeric: bool = False  # right-aligned figures


@dataclass
class Table:
    """A page's table: `rows` of text cells; `marked` rows (opening, totals) in bold."""

    columns: list[Column]
    rows: list[list[str]]
    marked: set[int] = field(default_factory=set)

    @property
    def header(self) -> list[str]:
        return [c.title for c in self.columns]


@dataclass
class Payment:
    """The account to pay into. `qr_png` is the hook for the ZBP payment QR code
    (the payment issue): drawn beside the account when given."""

    nrb: str
    payee: str
    payee_address: str = ""
    title: str = ""
    amount: str = ""
    due: str = ""
    qr_png: bytes | None = None


@dataclass
class Statement:
    title: str
    cooperative: str
    cooperative_address: str
    facts: list[tuple[str, str]]  # resident, premises, account, period, "stan na"
    table: Table
    totals: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    payment: Payment | None = None
    landscape: bool = False
