"""Files residents and staff keep: CSV tables, PDF statements, start-credential slips.

The layer lays out text it is given; it knows no billing query and no page. The
web layer turns a page's context into `Table`s and a `Statement` (the figures
already formatted as on the page) and the CLI hands over `Slip`s. `fonts/`
holds DejaVu Sans and DejaVu Sans Mono (Polish letters, told-apart 0/O, 1/l/I)
with their licence, bundled so that Windows needs no system font.
"""

from .csvfile import csv_bytes
from .layout import Column, Payment, Statement, Table
from .statement import statement_pdf

__all__ = ["Column", "Payment", "Statement", "Table", "csv_bytes", "statement_pdf"]
