"""The PDF page frame shared by every ScoliScreen report (fpdf2, no browser engine): a Unicode
font, a header, and the research-use disclaimer with the model version in the footer of EVERY
page."""

from __future__ import annotations

import io
from pathlib import Path

from scoliscreen import DISCLAIMER, __version__

# Unicode TrueType fonts looked for in this order (regular, bold); the first pair found is used.
_FONT_CANDIDATES = (
    ("resources/fonts/DejaVuSans.ttf", "resources/fonts/DejaVuSans-Bold.ttf"),
    ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"),
    ("/usr/share/fonts/dejavu/DejaVuSans.ttf", "/usr/share/fonts/dejavu/DejaVuSans-Bold.ttf"),
    ("/usr/share/fonts/TTF/DejaVuSans.ttf", "/usr/share/fonts/TTF/DejaVuSans-Bold.ttf"),
    ("/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
     "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf"),
    ("C:/Windows/Fonts/arial.ttf", "C:/Windows/Fonts/arialbd.ttf"),
    ("/Library/Fonts/Arial.ttf", "/Library/Fonts/Arial Bold.ttf"),
    ("/System/Library/Fonts/Supplemental/Arial.ttf", "/System/Library/Fonts/Supplemental/Arial Bold.ttf"),
)
# plain-ASCII stand-ins when only the PDF core font (Latin-1) is available
_ASCII = {"—": "-", "–": "-", "≥": ">=", "≤": "<=", "±": "+/-", "•": "-", "…": "...", "→": "->",
          "’": "'", "‘": "'", "“": '"', "”": '"', "×": "x", "−": "-"}

# verdict colours (RGB): one colour language with the app, keyed by the verdict words of
# core/outcome_words.py (refer / no referral / inconclusive / re-record / not screened)
VERDICT_COLOURS = {"refer": (178, 24, 43), "no referral": (27, 120, 55), "inconclusive": (90, 80, 160),
                   "re-record": (191, 129, 45), "not screened": (110, 110, 110)}


def find_fonts() -> tuple[Path, Path] | None:
    from scoliscreen.core.paths import install_root

    for regular, bold in _FONT_CANDIDATES:
        r, b = Path(regular), Path(bold)
        if not r.is_absolute():
            r, b = install_root() / r, install_root() / b
        if r.is_file() and b.is_file():
            return r, b
    return None


def _document_class():
    from fpdf import FPDF

    class ReportPDF(FPDF):
        """A4 portrait, 15 mm margins; footer = disclaimer + model version + page i/n."""

        def __init__(self, title: str, model_version: str):
            super().__init__(orientation="P", unit="mm", format="A4")
            self.report_title = title
            self.model_version = model_version or "none"
            self.model_line: str | None = None  # the footer's model text when no model ran (why)
            self.set_margins(15, 15, 15)
            self.set_auto_page_break(True, margin=20)
            fonts = find_fonts()
            if fonts:
                self.add_font("Body", "", str(fonts[0]))
                self.add_font("Body", "B", str(fonts[1]))
                self.body_family = "Body"
                self.has_unicode = True
                self._cmap: set[int] | None = None
            else:
                self.body_family = "Helvetica"
                self.has_unicode = False
            self.set_title(title)
            self.set_creator(f"ScoliScreen {__version__}")
            self.set_subject(DISCLAIMER)

        def text_(self, s) -> str:
            s = "" if s is None else str(s)
            if self.has_unicode:  # a character the font lacks (CJK, control codes) prints as "?":
                cmap = self._glyphs()  # fpdf would log a missing-glyph warning on stderr for it
                return "".join(c if c in "\n" or ord(c) in cmap and c.isprintable() else "?" for c in s)
            for k, v in _ASCII.items():
                s = s.replace(k, v)
            return s.encode("latin-1", "replace").decode("latin-1")

        def _glyphs(self) -> set[int]:
            """Code points both body fonts (regular and bold) draw."""
            if self._cmap is None:
                self._cmap = set.intersection(*(set(getattr(f, "cmap", ())) for k, f in self.fonts.items()
                                                if k.startswith(self.body_family.lower())))
            return self._cmap

        def font(self, size: float = 10, bold: bool = False, colour=(0, 0, 0)) -> None:
            self.set_font(self.body_family, "B" if bold else "", size)
            self.set_text_color(*colour)

        def header(self):
            self.font(8, colour=(90, 90, 90))
            self.cell(0, 5, self.text_(f"ScoliScreen {__version__} · {self.report_title}"), align="L")
            self.ln(7)

        def footer(self):
            self.set_y(-15)
            self.set_draw_color(170, 170, 170)
            self.line(self.l_margin, self.get_y(), self.w - self.r_margin, self.get_y())
            self.ln(1.5)
            self.font(8, bold=True, colour=(120, 20, 20))
            self.cell(0, 4, self.text_(f"{DISCLAIMER}."), align="L")
            self.set_x(self.l_margin)
            self.font(8, colour=(70, 70, 70))
            model = self.model_line or f"Model {self.model_version}"
            self.cell(0, 4, self.text_(f"{model}  ·  page {self.page_no()}/{{nb}}"), align="R")

        # ---- building blocks -----------------------------------------------------------
        def heading(self, text: str, size: float = 12) -> None:
            if self.get_y() > self.h - 45:
                self.add_page()
            self.ln(2)
            self.font(size, bold=True, colour=(20, 40, 80))
            self.multi_cell(0, size * 0.5, self.text_(text), new_x="LMARGIN", new_y="NEXT", align="L")
            self.ln(1)

        def para(self, text: str, size: float = 10, colour=(0, 0, 0), bold: bool = False, h: float | None = None):
            self.font(size, bold=bold, colour=colour)
            self.multi_cell(0, h or size * 0.48, self.text_(text), new_x="LMARGIN", new_y="NEXT", align="L")

        def pairs(self, rows, key_w: float = 45, size: float = 10) -> None:
            """Two-column "label: value" lines."""
            for key, value in rows:
                self.font(size, bold=True, colour=(60, 60, 60))
                self.cell(key_w, size * 0.5, self.text_(key))
                self.font(size)
                self.multi_cell(0, size * 0.5, self.text_(value), new_x="LMARGIN", new_y="NEXT", align="L")

        def png(self, data: bytes, x: float, y: float, w: float = 0, h: float = 0):
            return self.image(io.BytesIO(data), x=x, y=y, w=w, h=h)

        def fit(self, text: str, width: float) -> str:
            """``text`` cut with an ellipsis to fit ``width`` mm in the current font."""
            text = self.text_(text)
            if self.get_string_width(text) <= width - 1.5:
                return text
            dots = self.text_("…")
            while text and self.get_string_width(text + dots) > width - 1.5:
                text = text[:-1]
            return text.rstrip() + dots

        def ruled_table(self, header, rows, widths, size: float = 8.5, align=None) -> None:
            """A simple ruled table; repeats the header on a new page."""
            align = align or ["L"] * len(header)
            line_h = size * 0.52

            def head():
                self.font(size, bold=True, colour=(255, 255, 255))
                self.set_fill_color(60, 80, 110)
                for text, w, a in zip(header, widths, align):
                    self.cell(w, line_h + 1.5, self.fit(text, w), border=0, fill=True, align=a)
                self.ln()

            head()
            self.set_draw_color(210, 210, 210)
            for i, row in enumerate(rows):
                if self.get_y() + line_h + 2 > self.page_break_trigger:
                    self.add_page()
                    head()
                self.font(size)
                fill = i % 2 == 1
                self.set_fill_color(242, 244, 248)
                colour = row[-1] if isinstance(row[-1], tuple) else None
                cells = row[:-1] if colour else row
                for j, (text, w, a) in enumerate(zip(cells, widths, align)):
                    self.set_text_color(*(colour if (colour and j == len(cells) - 1) else (0, 0, 0)))
                    self.cell(w, line_h + 1.5, self.fit(text, w), border="B", fill=fill, align=a)
                self.ln()
            self.set_text_color(0, 0, 0)

    return ReportPDF


def new_document(title: str, model_version: str):
    pdf = _document_class()(title, model_version)
    pdf.add_page()
    return pdf


def save(pdf, out: str | Path) -> Path:
    """Write atomically (a half-written report never replaces a good one)."""
    from scoliscreen.core.fileio import atomic_write_bytes, check_target

    out = check_target(out)  # before the (slow) rendering: a link or a device is refused at once
    return atomic_write_bytes(out, bytes(pdf.output()))  # 0600, mkstemp beside OUT, os.replace
