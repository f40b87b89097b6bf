"""A session summary PDF: one row per visit (a class screened in one morning), for the batch
job and the app. Same page frame (disclaimer + model version on every page) as a visit report."""

from __future__ import annotations

from pathlib import Path

from scoliscreen.core.outcome_words import VERDICTS, cobb_shown, verdict_of_label
from scoliscreen.core.report.pdf import VERDICT_COLOURS, new_document, save
from scoliscreen.core.store_history import cobb_interval


def _row_from_visit(visit: dict, analysis: dict | None) -> dict:
    from scoliscreen.core.report.visit import verdict

    analysis = analysis or {"quality": {"usable": bool(visit.get("usable"))} if visit.get("usable") is not None
                            else {}, "screening": {"label": visit.get("label")}}
    low, high = cobb_interval((analysis.get("screening") or {}))
    return {"visit_id": visit.get("id"), "patient": visit.get("pseudonym") or "-", "age": visit.get("age"),
            "date": (visit.get("visited_at") or "")[:10], "quality": visit.get("quality_verdict") or "",
            "verdict": verdict(analysis), "label": (analysis.get("screening") or {}).get("label"),
            "probability": visit.get("probability"),
            "threshold": visit.get("threshold"), "cobb_estimate": visit.get("cobb_estimate"),
            "cobb_low": low if low is not None else visit.get("cobb_low"),
            "cobb_high": high if high is not None else visit.get("cobb_high"),
            "model_version": visit.get("model_version"), "video": visit.get("video") or ""}


def _normalise(row: dict) -> dict:
    """Accept a ``screen_file`` / ``predict --format jsonl`` object too (input, label, error...)."""
    row = dict(row)
    row.setdefault("video", row.get("input") or "")
    if not row.get("verdict"):
        if row.get("error"):
            row["verdict"] = "re-record" if row.get("exit_code") == 3 or row.get("usable") is False else "not screened"
            row.setdefault("quality", str(row["error"]))
        else:
            row["verdict"] = verdict_of_label(row.get("label"))
    if row.get("cobb_low") is None and row.get("cobb_interval"):
        row["cobb_low"], row["cobb_high"] = cobb_interval(row)
    return row


def write_session_summary(rows: list[dict], out: str | Path, *, title: str = "Screening session") -> Path:
    """``rows``: dicts with visit_id, patient, age, date, quality, verdict ("refer" / "no
    referral" / "inconclusive" / "re-record" / "not screened"), probability, threshold, cobb_estimate,
    cobb_low, cobb_high, model_version, video (missing keys print as "-"). A
    ``screen_file`` result (input, label, probability, ..., or input + error) works as a row."""
    rows = [_normalise(r) for r in rows]
    versions = sorted({str(r["model_version"]) for r in rows if r.get("model_version")})
    pdf = new_document(title, ", ".join(versions) or "none")
    pdf.font(16, bold=True, colour=(20, 40, 80))
    pdf.cell(0, 9, pdf.text_(title), new_x="LMARGIN", new_y="NEXT")
    counts = {k: sum(r.get("verdict") == k for r in rows) for k in VERDICTS}
    pdf.para(f"{len(rows)} recordings: " + ", ".join(f"{n} {k}" for k, n in counts.items() if n) + ".", size=10)
    thresholds = sorted({round(r["threshold"], 2) for r in rows if r.get("threshold") is not None})
    if thresholds:
        pdf.para("A child is referred when the model's probability of a Cobb angle of 10° or more is at or "
                 f"above the threshold ({', '.join(f'{100 * t:.0f}%' for t in thresholds)}).", size=9)
    pdf.ln(2)

    def fmt(v, pattern="{:.0f}"):
        return "-" if v is None else pattern.format(v)

    body = []
    for i, r in enumerate(rows, 1):
        label = r.get("label") or {"refer": "positive", "no referral": "negative"}.get(str(r.get("verdict")))
        cobb = "not est."
        if cobb_shown(label, r.get("cobb_estimate"), [r.get("cobb_low"), r.get("cobb_high")]):
            cobb = f"{r['cobb_estimate']:.0f}° ({r['cobb_low']:.0f}–{r['cobb_high']:.0f})"
        body.append((str(i), str(r.get("patient") or "-"), fmt(r.get("age"), "{:.0f}"), r.get("date") or "-",
                     Path(str(r.get("video") or "")).name[:28], (r.get("quality") or "-")[:22],
                     fmt(r.get("probability") and 100 * r["probability"], "{:.0f}%"), cobb,
                     r.get("verdict") or "-", VERDICT_COLOURS.get(str(r.get("verdict")), (0, 0, 0))))
    pdf.ruled_table(["#", "Patient", "Age", "Date", "Recording", "Quality", "P", "Cobb", "Verdict"], body,
              [8, 24, 10, 20, 38, 30, 11, 19, 20], size=8, align=["R", "L", "R", "L", "L", "L", "R", "R", "L"])
    return save(pdf, out)


def session_summary(store, visit_ids: list[int], out: str | Path, *, title: str = "Screening session") -> Path:
    """The summary of stored visits (in the order given); logged as ``exported`` per visit."""
    from scoliscreen.core.errors import InputError
    from scoliscreen.core.fileio import check_target

    check_target(out)
    try:
        rows = [_row_from_visit(store.get_visit(v), store.analysis(v)) for v in visit_ids]
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
        raise InputError(f"a stored record is damaged or was edited outside the app ({type(exc).__name__}: "
                         f"{str(exc)[:80]}); no summary written") from None
    path = write_session_summary(rows, out, title=title)
    if getattr(store, "read_only", False):
        return path
    with store.transaction():  # one commit for the whole session
        for v in visit_ids:
            store._audit("exported", "visit", v, f"session summary {path}")
    return path
