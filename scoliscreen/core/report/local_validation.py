"""The ``validate-local --out REPORT.pdf`` page: how a model does on the clinic's own children,
beside the model card's simulated figures, with a calibration plot. Same page frame as every
report (disclaimer and model version on every page)."""

from __future__ import annotations

import math
from pathlib import Path

from scoliscreen.core.report.pdf import new_document, save

ROWS = (("sensitivity", "Sensitivity"), ("specificity", "Specificity"), ("auc", "ROC AUC"), ("ppv", "PPV"),
        ("npv", "NPV"), ("referral_rate", "Referral rate"), ("inconclusive_rate", "Inconclusive rate"),
        ("re_record_rate", "Re-record rate"))


def ci_text(f: object, dash: str = "-") -> str:
    """"0.82 (0.70-0.91)" of a ``{value, lo, hi}`` figure; ``dash`` when there is none (the PDF
    and the window's view share it; the window passes an en dash)."""
    if not isinstance(f, dict):
        return dash
    v, lo, hi = f.get("value"), f.get("lo"), f.get("hi")
    if not isinstance(v, (int, float)) or not math.isfinite(v):
        return dash
    if isinstance(lo, (int, float)) and isinstance(hi, (int, float)) and math.isfinite(lo) and math.isfinite(hi):
        return f"{v:.2f} ({lo:.2f}{dash}{hi:.2f})"
    return f"{v:.2f}"


def _calibration_plot(pdf, bins: list[dict], x0: float, y0: float, size: float = 70.0) -> None:
    """Stated chance (x) against observed share (y), both 0-100 %, with the diagonal."""
    pdf.set_draw_color(120, 120, 120)
    pdf.rect(x0, y0, size, size)
    pdf.set_draw_color(200, 200, 200)
    pdf.line(x0, y0 + size, x0 + size, y0)  # perfect calibration
    pdf.font(7, colour=(80, 80, 80))
    for t in (0, 50, 100):
        pdf.text(x0 + size * t / 100 - 2, y0 + size + 4, f"{t}%")
        pdf.text(x0 - 8, y0 + size - size * t / 100 + 1, f"{t}%")
    pdf.text(x0 + size / 2 - 14, y0 + size + 8, "stated chance (Cobb >= 10)")
    pdf.text(x0 - 8, y0 - 2, "observed share")
    pdf.set_fill_color(31, 111, 235)
    for b in bins:
        x = x0 + size * min(1.0, b["mean_prob"])
        y = y0 + size - size * min(1.0, b["observed"])
        r = 0.8 + min(2.5, math.sqrt(b["n"]) / 3)
        pdf.ellipse(x - r, y - r, 2 * r, 2 * r, style="F")


def write_local_validation(res: dict, out: str | Path) -> Path:
    pdf = new_document("How the model does on our children", str(res.get("model_version", "?")))
    pdf.heading("How the model does on our children")
    pdf.para(f"Model {res['model_version']}" + ("" if res.get("model_is_shipped") else " (a local model)")
             + f". Counted: {res['unit']}; outcomes from {', '.join(res['sources'])}"
             + (f"; visits from {res['since']} on" if res.get("since") else "") + ".", size=9.5)
    pdf.para(f"{res['n_children']} children, {res['n_positive_children']} of them with scoliosis (Cobb 10° or "
             f"more), {res['n_visits']} visits.", size=10.5, bold=True)
    if res.get("conclusion"):
        pdf.para(str(res["conclusion"]), size=10, bold=True, colour=(178, 24, 43))
    pdf.ln(1)
    card = res.get("card") or {}
    rows = [(name, ci_text(res["figures"].get(key)), ci_text(card.get(key))) for key, name in ROWS]
    pdf.ruled_table(["Figure", "Our children (95 % CI)", "Model card (simulated)"], rows,
                    [40, 75, 60], size=9)
    pdf.para("CIs: 95 %, resampling children (all visits of a child together).", size=8, colour=(80, 80, 80))
    pdf.ln(2)
    pdf.heading("Calibration")
    pdf.para("Each dot is a group of visits: the chance the model stated (across) against the share of those "
             "children who had scoliosis (up). Dots on the grey diagonal mean the stated chance was right; the "
             "dot size grows with the number of visits.", size=9)
    top = pdf.get_y() + 4
    _calibration_plot(pdf, list(res.get("calibration") or []), pdf.l_margin + 12, top)
    pdf.set_xy(pdf.l_margin, top + 84)
    pdf.para(str(res.get("verification_note", "")), size=9, colour=(80, 80, 80))
    skipped = res.get("skipped_without_pose") or []
    if skipped:
        pdf.para(f"Left out: {len(skipped)} visit(s) without a stored pose sequence.", size=9)
    return save(pdf, out)


__all__ = ["ROWS", "ci_text", "write_local_validation"]
