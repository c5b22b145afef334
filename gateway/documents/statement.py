"""A statement as PDF: who and what it is about, the table, totals, notes, payment."""

from __future__ import annotations

import io

from fpdf.enums import TableBordersLayout
from fpdf.fonts import FontFace

from .layout import Payment, Statement, Table
from .pdfbase import MONO, SANS, PortalPDF

BOLD = FontFace(emphasis="BOLD")
HEAD = FontFace(emphasis="BOLD", fill_color=(230, 230, 230))


def statement_pdf(statement: Statement) -> bytes:
    """The statement as PDF bytes (A4; landscape for wide tables)."""
    pdf = PortalPDF(landscape=statement.landscape)
    pdf.set_title(statement.title)
    pdf.set_author(statement.cooperative)
    pdf.footer_text = f"{statement.cooperative} – {statement.title}"
    pdf.add_page()
    _heading(pdf, statement)
    _table(pdf, statement.table)
    if statement.totals:
        pdf.ln(2)
        _pairs(pdf, statement.totals, bold=True)
    if statement.payment:
        _payment(pdf, statement.payment)
    pdf.set_font(SANS, size=8)
    for note in statement.notes:
        pdf.ln(2)
        pdf.multi_cell(0, 4, note)
    return bytes(pdf.output())


def _heading(pdf: PortalPDF, statement: Statement) -> None:
    pdf.set_font(SANS, "B", 11)
    pdf.cell(0, 6, statement.cooperative, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(SANS, size=8)
    pdf.cell(0, 4, statement.cooperative_address, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.set_font(SANS, "B", 14)
    pdf.multi_cell(0, 7, statement.title, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1)
    _pairs(pdf, statement.facts)
    pdf.ln(3)


def _pairs(pdf: PortalPDF, pairs: list[tuple[str, str]], bold: bool = False) -> None:
    for label, value in pairs:
        pdf.set_font(SANS, size=9)
        pdf.cell(42, 5, f"{label}:")
        pdf.set_font(SANS, "B" if bold else "", 9)
        pdf.multi_cell(0, 5, value, new_x="LMARGIN", new_y="NEXT")


def _table(pdf: PortalPDF, table: Table) -> None:
    pdf.set_font(SANS, size=7.5)
    align = tuple("RIGHT" if c.numeric else "LEFT" for c in table.columns)
    with pdf.table(col_widths=tuple(c.width for c in table.columns), text_align=align,
                   headings_style=HEAD, line_height=4, padding=1, repeat_headings=1,
                   borders_layout=TableBordersLayout.HORIZONTAL_LINES) as grid:
        head = grid.row()
        for column in table.columns:
            head.cell(column.title)
        for index, cells in enumerate(table.rows):
            row = grid.row()
            for cell in cells:
                row.cell(cell, style=BOLD if index in table.marked else None)


def _payment(pdf: PortalPDF, payment: Payment) -> None:
    pdf.ln(3)
    top = pdf.get_y()
    pdf.set_font(SANS, "B", 10)
    pdf.cell(0, 6, "Wpłaty na rachunek", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(MONO, "B", 12)
    pdf.cell(0, 7, payment.nrb, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(SANS, size=9)
    lines = [("Odbiorca", f"{payment.payee}, {payment.payee_address}".strip(", ")),
             ("Tytuł", payment.title), ("Kwota", payment.amount), ("Termin", payment.due)]
    _pairs(pdf, [(k, v) for k, v in lines if v])
    if payment.qr_png:  # the ZBP QR code, when the payment issue supplies one
        pdf.image(io.BytesIO(payment.qr_png), x=pdf.w - pdf.r_margin - 30, y=top, w=30)
