"""The report's plain summary for a parent: the shown asymmetry measures compared with healthy
adult walkers (``core/norms.py``), before the knowledge map's heat map."""

from __future__ import annotations


def section_norms(pdf, analysis: dict) -> None:
    from scoliscreen.core.norms import compare, plain_summary

    km = analysis.get("knowledge_map") or {}
    medians = km.get("medians") or {}
    if not medians:
        return
    view = km.get("view") or (analysis.get("quality") or {}).get("view")
    pdf.heading("Compared with healthy walkers")
    lines = plain_summary(medians, view)
    pdf.para(lines[0], size=9.5)
    for line in lines[1:]:
        pdf.para("• " + line[:1].upper() + line[1:], size=9.5, bold=line.startswith("outside"))
    rows = compare(medians, view)
    if rows:
        body = [(r.words, f"{r.value:.3g}", f"{r.percentile:.0f}", f"{r.low:.0f}-{r.high:.0f}") for r in rows]
        pdf.ruled_table(["Measure", "This walk", "Percentile", "Re-filming range"], body, [80, 30, 30, 40],
                        align=["L", "R", "R", "R"], size=8.5)


__all__ = ["section_norms"]
