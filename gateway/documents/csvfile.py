"""CSV that Polish spreadsheets open without the import wizard.

Excel and LibreOffice with a Polish locale read `;` as the separator, a decimal
comma, and UTF-8 when the file starts with a byte-order mark; CRLF line ends as
Windows writes them.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

BOM = "\ufeff"


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[str]]) -> bytes:
    """The header row and `rows` (already formatted text) as UTF-8 CSV with a BOM."""
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out, delimiter=";", quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_defused(cell) for cell in row])
    return out.getvalue().encode("utf-8")


def _defused(cell: str) -> str:
    """A text cell that a spreadsheet would run as a formula gets a leading apostrophe
    (CSV injection: a description like '=HYPERLINK(...)' from the billing data)."""
    if cell[:1] in ("=", "+", "@") or (cell[:1] == "-" and not _is_number(cell)):
        return "'" + cell
    return cell


def _is_number(cell: str) -> bool:
    return cell[1:].replace(",", "", 1).isdigit()
