"""The non-result views of ``scoliscreen screenshot``: fill a temporary records database with
two visits of the analysed clip, then show History, Compare, or the report's first page."""

from __future__ import annotations

import tempfile
from pathlib import Path

from scoliscreen.core.errors import ScoliScreenError


def render_pdf_page(pdf: str | Path, size: tuple[int, int], page: int = 0):
    """A QImage of ``size`` with page ``page`` of ``pdf`` fitted in it (QtPdf, white page on grey)."""
    from PySide6.QtCore import QSize, Qt
    from PySide6.QtGui import QColor, QImage, QPainter
    from PySide6.QtPdf import QPdfDocument

    doc = QPdfDocument()
    if doc.load(str(pdf)) != QPdfDocument.Error.None_ or doc.pageCount() <= page:
        raise ScoliScreenError(f"{pdf}: the report could not be read back.")
    pt = doc.pagePointSize(page)
    margin = 16
    scale = min((size[0] - 2 * margin) / pt.width(), (size[1] - 2 * margin) / pt.height())
    page_img = doc.render(page, QSize(round(pt.width() * scale), round(pt.height() * scale)))
    canvas = QImage(size[0], size[1], QImage.Format.Format_RGB32)
    canvas.fill(QColor(90, 94, 102))
    p = QPainter(canvas)
    p.fillRect((size[0] - page_img.width()) // 2, (size[1] - page_img.height()) // 2,
               page_img.width(), page_img.height(), Qt.GlobalColor.white)
    p.drawImage((size[0] - page_img.width()) // 2, (size[1] - page_img.height()) // 2, page_img)
    p.end()
    doc.close()
    return canvas


def stage_view(app, window, view: str, clip: Path, size, model_dir, wait):
    """Prepare ``view`` in ``window`` (analysis done). Returns a QImage for ``report``, else None
    (the caller grabs the window)."""
    from scoliscreen.gui.demo_records import fill_demo_records

    if window.analysis is None:
        raise ScoliScreenError("The clip has no analysis to store for this view.")
    window.demo_folder = tempfile.TemporaryDirectory(prefix="scoliscreen-screenshot-")
    folder = Path(window.demo_folder.name)
    earlier, later = fill_demo_records(window, clip, folder, model_dir)
    records = window.records
    if view == "history":
        records.show_view("history")
        records.history.select_visits([later])
    elif view == "compare":
        records.history.reload()
        records.compare(earlier, later)
        cv = records.compare_view
        wait(app, lambda: cv.a.info is not None and cv.b.info is not None, 60)
        cv.gait_sync.setChecked(True)
        cv.seek(1.0)
        wait(app, lambda: all(p.current_index == min(round((p.offset_s + 1.0) * p.info.fps), p.info.frame_count - 1)
                              for p in (cv.a, cv.b)), 30)
    else:  # report
        done: list[str] = []
        records.report_exported.connect(done.append)
        records.report_failed.connect(done.append)
        out = folder / "report.pdf"
        records.export_report(later, out)
        if not wait(app, lambda: bool(done), 300) or not out.is_file():
            raise ScoliScreenError(f"The report could not be written: {done[0] if done else 'timed out'}")
        return render_pdf_page(out, size)
    return None
