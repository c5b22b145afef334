"""An A4 FPDF with the bundled fonts and a footer with page numbers."""

from __future__ import annotations

from fpdf import FPDF

from .layout import FONTS

SANS, MONO = "DejaVuSans", "DejaVuSansMono"


class PortalPDF(FPDF):
    """A4 in millimetres with DejaVu Sans (regular, bold) and DejaVu Sans Mono."""

    footer_text = ""

    def __init__(self, landscape: bool = False, numbered: bool = True):
        super().__init__(orientation="L" if landscape else "P", unit="mm", format="A4")
        self.numbered = numbered
        self.add_font(SANS, "", str(FONTS / "DejaVuSans.ttf"))
        self.add_font(SANS, "B", str(FONTS / "DejaVuSans-Bold.ttf"))
        self.add_font(MONO, "", str(FONTS / "DejaVuSansMono.ttf"))
        self.add_font(MONO, "B", str(FONTS / "DejaVuSansMono-Bold.ttf"))
        self.set_font(SANS, size=10)
        self.set_margins(14, 12, 14)
        self.set_auto_page_break(True, margin=16)

    def footer(self) -> None:
        if not self.numbered:
            return
        self.set_y(-12)
        self.set_font(SANS, size=7)
        self.cell(0, 5, self.footer_text, align="L")
        self.set_x(self.l_margin)
        self.cell(0, 5, f"Strona {self.page_no()} z {{nb}}", align="R")
