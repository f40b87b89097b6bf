"""Export use cases (Qt-free): a stored visit (or session) in a hospital or gait-tool format.

``export_visit(store, visit_id, fmt, out)`` is the one way the CLI (``scoliscreen export``),
the GUI (the visit's Export menu) and ``batch --export`` write them; every export is audited
(``exported``). What leaves: the pseudonym, birth year and sex, the visit's date, result and
pose; never the name of a video or file, the school, class or notes. The PDF inside FHIR and
DICOM is a pseudonymised report (no notes, no school, no video frame or file name).
"""

from __future__ import annotations

import copy
import re
import sqlite3
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path

from scoliscreen.core.errors import InputError
from scoliscreen.core.interop import FORMATS, VisitExport, from_open_visit
from scoliscreen.core.interop.output import check_output
from scoliscreen.core.kinematics import KnowledgeMap
from scoliscreen.core.sequence import PoseSequence
from scoliscreen.core.store import Store


def parse_formats(text: str) -> list[str]:
    """``"fhir,dicom"`` -> ["fhir", "dicom"]; an unknown name is one clear sentence."""
    names = [t.strip().lower() for t in text.split(",") if t.strip()]
    bad = [n for n in names if n not in FORMATS]
    if bad or not names:
        raise InputError(f"unknown export format {', '.join(bad) or repr(text)}; choose from {', '.join(FORMATS)}")
    return list(dict.fromkeys(names))


def pseudonymised(data: Mapping[str, object]) -> dict[str, object]:
    """``Store.open_visit()``'s dict with everything but the pseudonym, birth year, sex, dates,
    result and pose removed: for the PDF that travels inside FHIR and DICOM."""
    out = dict(data)
    patient = data.get("patient") or {}
    visit_row = data["visit"]
    assert isinstance(patient, Mapping) and isinstance(visit_row, Mapping)
    out["patient"] = {k: patient.get(k) for k in ("id", "pseudonym", "birth_year", "sex")}
    visit = dict(visit_row)
    for key in ("video", "notes", "video_sha256", "source_path"):
        visit.pop(key, None)
    out["visit"] = visit
    stored = data.get("analysis") or {}
    assert isinstance(stored, Mapping)
    analysis = copy.deepcopy(dict(stored))
    for key, field, value in (("source", "description", "pose sequence"), ("clinical_text", "notes", "")):
        part = analysis.get(key)
        if isinstance(part, dict):
            part[field] = value
    out["analysis"] = analysis
    out["notes"], out["recording"] = [], {}
    return out


def outcomes(store: Store, visit_id: int) -> tuple[dict[str, object], ...]:
    """Recorded clinical outcomes of the visit, where the store has an ``outcomes`` table."""
    if "outcomes" not in store.db.table_names():
        return ()
    try:
        cols = {c.name for c in store.db["outcomes"].columns}
        if "visit_id" not in cols:
            return ()
        return tuple(dict(r) for r in store.db["outcomes"].rows_where("visit_id = ?", [visit_id]))
    except sqlite3.Error:
        return ()


def report_pdf(data: Mapping[str, object]) -> bytes:
    """The pseudonymised PDF report of an ``open_visit`` dict, as bytes."""
    from scoliscreen.core.report import write_visit_report

    with tempfile.TemporaryDirectory(prefix="scoliscreen-export-") as tmp:
        path = write_visit_report(pseudonymised(data), Path(tmp) / "report.pdf", video=None, blur_faces=True)
        return path.read_bytes()


def load_visit(store: Store, visit_id: int) -> tuple[VisitExport, dict[str, object]]:
    data = store.open_visit(visit_id, audit=False)
    return from_open_visit(data, outcomes=outcomes(store, visit_id), pdf=lambda: report_pdf(data)), data


def _pose(visit: VisitExport, fmt: str) -> PoseSequence:
    if visit.sequence is None or len(visit.sequence) == 0:
        raise InputError(f"visit {visit.visit_id} has no stored pose sequence, so there is nothing to export "
                         f"as {fmt}")
    return visit.sequence


def export_visit(store: Store, visit_id: int, fmt: str, out: str | Path) -> Path:
    """Write visit ``visit_id`` as ``fmt`` (a name in ``core.interop.FORMATS``) to ``out``."""
    if fmt not in FORMATS:
        raise InputError(f"unknown export format {fmt!r}; choose from {', '.join(FORMATS)}")
    spec = FORMATS[fmt]
    out = Path(out)
    if spec.suffix and out.suffix.lower() != spec.suffix:
        raise InputError(f"{out}: a {fmt} export is a {spec.suffix} file; give a name ending in {spec.suffix}")
    if spec.library:
        from scoliscreen.core.interop.output import require

        require(spec.library, fmt)  # before any work: a missing extra is one line
    if spec.suffix:
        check_output(out)  # a link or a device at OUT: refused before the work
    visit, data = load_visit(store, visit_id)
    if fmt == "fhir":
        from scoliscreen.core.interop.fhir import write_fhir

        path = write_fhir([(visit, visit.pdf() if visit.pdf else None)], out)
    elif fmt == "dicom":
        from scoliscreen.core.interop.dicom import write_dicom

        path = write_dicom(visit, report_pdf(data), out)
    elif fmt == "c3d":
        from scoliscreen.core.interop.c3d import write_c3d

        path = write_c3d(_pose(visit, fmt), out)
    elif fmt == "trc":
        from scoliscreen.core.interop.trc import write_trc

        path = write_trc(_pose(visit, fmt), out)
    elif fmt == "openpose":
        from scoliscreen.core.interop.openpose import write_openpose

        path = write_openpose(_pose(visit, fmt), out, stem=f"visit{visit.visit_id}")
    else:
        from scoliscreen.core.interop.tables import write_csv_folder

        path = write_csv_folder(_pose(visit, fmt), out, _visit_map(data))
    store.log("exported", "visit", visit_id, f"{fmt} export {path}")
    return path


def _visit_map(data: Mapping[str, object]) -> KnowledgeMap | None:
    """The per-window knowledge map the visit showed (rebuilt as the History tab does)."""
    from scoliscreen.app.visits import restore_analysis

    seq, stored = data.get("sequence"), data.get("analysis")
    if not isinstance(stored, Mapping) or not isinstance(seq, PoseSequence):
        return None
    return restore_analysis(stored, seq).knowledge_map


def export_session(store: Store, visit_ids: Iterable[int], out: str | Path) -> Path:
    """One FHIR Bundle for a screening session: every visit's Patient, Observations and report."""
    from scoliscreen.core.interop.fhir import write_fhir
    from scoliscreen.core.interop.output import require

    require("fhir.resources", "fhir")
    ids = list(dict.fromkeys(int(v) for v in visit_ids))
    if Path(out).suffix.lower() != ".json":
        raise InputError(f"{out}: a FHIR bundle is a .json file; give a name ending in .json")
    check_output(out)
    loaded = [load_visit(store, v)[0] for v in ids]
    path = write_fhir([(v, v.pdf() if v.pdf else None) for v in loaded], out)
    for v in ids:
        store.log("exported", "visit", v, f"fhir session export {path}")
    return path


def export_visits(store: Store, visit_ids: Iterable[int], formats: Iterable[str], folder: str | Path) -> list[Path]:
    """``batch --export``: one file (or folder) per visit and format, named by pseudonym and visit."""
    folder = check_output(folder, folder=True)
    written: list[Path] = []
    for vid in visit_ids:
        row = store.get_visit(vid)
        who = re.sub(r"[^A-Za-z0-9_-]+", "_", str(row.get("pseudonym") or ""))
        stem = f"{who}_visit{vid}" if who else f"visit{vid}"
        for fmt in formats:
            written.append(export_visit(store, vid, fmt, folder / f"{stem}_{fmt}{FORMATS[fmt].suffix}"))
    return written
