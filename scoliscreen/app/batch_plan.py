"""Planning a batch: the files of a folder, the roster (file -> patient), result rows and the tally.

Qt-free and light (no torch, no cv2): the GUI and the CLI import it freely.

Roster CSV: a header row with a file column (``file``, ``filename``, ``pattern`` or ``clip``) and a
patient column (``patient``, ``pseudonym`` or ``patient_id``); each row maps a file name, a path
relative to the batch folder, or a glob pattern (``class4b_*.mp4``) to a patient pseudonym. An
exact name wins over a pattern; among patterns the first matching row wins. With a roster, a file
it does not name is reported as an error (not screened anonymously); without a roster every
visit is recorded without a patient.

An optional ``subject`` column says whom to follow in that row's clips when several people are in
view (``scoliscreen analyze --subject`` syntax: ``auto``, ``#N``, ``X,Y[@FRAME]`` - a point must
be quoted in the CSV); an empty cell takes the batch's ``--subject`` (default ``auto``, the person
who walks). A value :func:`~scoliscreen.core.tracking.parse_subject` refuses is an InputError
naming the line, raised before any clip runs.
"""

from __future__ import annotations

import csv
import fnmatch
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from scoliscreen.core.constants import SEQUENCE_SUFFIXES, VIDEO_SUFFIXES
from scoliscreen.core.interop.pose_in import pose_inputs
from scoliscreen.core.errors import InputError
from scoliscreen.core.outcome_words import RE_RECORD, VERDICTS, verdict_of_label


FILE_COLUMNS = ("file", "filename", "pattern", "clip")
PATIENT_COLUMNS = ("patient", "pseudonym", "patient_id")
SUBJECT_COLUMN = "subject"

CSV_COLUMNS = ("file", "status", "result", "label", "probability", "cobb_estimate",
               "cobb_interval_lo", "cobb_interval_hi", "severity_band", "quality_verdict",
               "quality_reasons", "model_version", "error", "patient", "visit_id", "seconds", "sha256",
               "subject", "followed_track", "reason_codes")
"""``subject``: whom the batch asked to follow (empty: ``auto``, the person who walks);
``followed_track``: the person track the analysis followed (``#N``, usable as ``--subject #N``),
given when a subject was chosen or several people were in view; ``reason_codes``: why a row has no
verdict (the gate's refusals and the model's reasons, codes joined by ";", core/outcome_words.py).
Appended last, so older readers of the CSV keep their columns."""
TALLY = (*VERDICTS, "error")
"""The ``result`` column: a verdict word (core/outcome_words.py), or ``error`` for a file that failed."""

ResultRow = dict[str, object]
"""One file's result: the :data:`CSV_COLUMNS` (the CSV row, the job's ``summary_json``, an event's row)."""


def as_int(value: object) -> int:
    """``int(value)`` of a stored number (a visit or patient id read from a row)."""
    assert isinstance(value, (int, float, str)), f"not a number: {value!r}"
    return int(value)


def section(d: Mapping[str, object], key: str) -> Mapping[str, object]:
    """A nested part of an analysis dict (``quality``, ``screening``); empty when absent."""
    part = d.get(key) or {}
    assert isinstance(part, Mapping), f"{key}: not a mapping"
    return part


def subject_key(subject: str | None) -> str | None:
    """The canonical form of a ``--subject`` value (``#1``, ``689,455@10``), None for ``auto``;
    an InputError (one line) for a value :func:`~scoliscreen.core.tracking.parse_subject` refuses.
    Job keys and the CSV use this form, so ``# 1`` and ``#1`` are the same choice."""
    from scoliscreen.core.tracking import AUTO, parse_subject

    kind, arg = parse_subject(subject)
    if kind == AUTO:
        return None
    if kind == "index":
        return f"#{arg}"
    assert isinstance(arg, tuple)
    x, y, frame = arg

    def num(v: float) -> str:  # plain decimals (no exponent): parse_subject reads it back
        return f"{v:.6f}".rstrip("0").rstrip(".") or "0"

    return f"{num(x)},{num(y)}" + ("" if frame is None else f"@{frame}")


@dataclass(frozen=True)
class RosterEntry:
    patient: str
    subject: str | None = None  # canonical (subject_key) or "auto"; None (empty cell): the batch's --subject


@dataclass
class Roster:
    exact: dict[str, RosterEntry] = field(default_factory=dict)  # name or relative path -> entry
    patterns: list[tuple[str, RosterEntry]] = field(default_factory=list)  # [(glob, entry)] in file order
    source: str = ""

    def entry_for(self, path: Path, folder: Path) -> RosterEntry | None:
        rel = path.relative_to(folder).as_posix() if path.is_relative_to(folder) else path.name
        for key in (rel, path.name):
            if key in self.exact:
                return self.exact[key]
        for pattern, entry in self.patterns:
            if fnmatch.fnmatchcase(path.name, pattern) or fnmatch.fnmatchcase(rel, pattern):
                return entry
        return None

    def patient_for(self, path: Path, folder: Path) -> str | None:
        entry = self.entry_for(path, folder)
        return None if entry is None else entry.patient


MAX_ROSTER_BYTES = 8 << 20  # a roster is one line per child: kilobytes


def read_roster(path: str | Path) -> Roster:
    """Parse a roster CSV (see the module docstring); a malformed one is an InputError naming the row."""
    path = Path(path)
    try:
        if path.stat().st_size > MAX_ROSTER_BYTES:  # before reading: a 140 MB roster once took 917 MB
            raise InputError(f"{path}: the roster is larger than {MAX_ROSTER_BYTES >> 20} MiB")
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read the roster ({exc})") from None
    rows = csv.DictReader(text.splitlines())
    header = [h.strip().lower() for h in (rows.fieldnames or [])]
    fcol = next((h for h in FILE_COLUMNS if h in header), None)
    pcol = next((h for h in PATIENT_COLUMNS if h in header), None)
    if fcol is None or pcol is None:
        raise InputError(f"{path}: the roster needs a header with a 'file' and a 'patient' column")
    roster = Roster(source=str(path))
    for i, raw in enumerate(rows, start=2):
        if raw.get(None):  # DictReader puts cells beyond the header under the key None
            raise InputError(f"{path}, line {i}: more cells than the header has"
                             " (quote a point subject: \"689,455@10\")")
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items() if k is not None}
        name, patient = row.get(fcol, ""), row.get(pcol, "")
        if not name and not patient:
            continue
        if not name or not patient:
            raise InputError(f"{path}, line {i}: both a file (or pattern) and a patient are needed")
        cell = row.get(SUBJECT_COLUMN) or None
        try:
            entry = RosterEntry(patient, None if cell is None else (subject_key(cell) or "auto"))
        except InputError as exc:
            raise InputError(f"{path}, line {i}: subject {row[SUBJECT_COLUMN]!r}: "
                             f"{str(exc).split(': ', 1)[-1]}") from None
        if any(c in name for c in "*?["):
            roster.patterns.append((name, entry))
        elif name in roster.exact and roster.exact[name] != entry:
            old = roster.exact[name]
            raise InputError(f"{path}, line {i}: {name} is already given to {old.patient}"
                             + (f" (subject {old.subject or 'auto'})" if old.patient == patient else ""))
        else:
            roster.exact[name] = entry
    return roster


def scan_folder(folder: str | Path) -> list[Path]:
    """Video, pose-sequence and other tools' pose files (docs/interop.md) under ``folder`` (recursively, hidden ones skipped), sorted."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(f"{folder}: not a folder")
    suffixes = VIDEO_SUFFIXES + SEQUENCE_SUFFIXES
    # not only regular files: a FIFO, a device link or a link out of the folder named .mp4 is
    # listed, and refused (reported in its row) by check_member, never silently left out
    return sorted([
        p for p in folder.rglob("*")
        if not p.is_dir() and p.suffix.lower() in suffixes
        and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    ] + pose_inputs(folder, recursive=True))  # other tools' pose: TRC, COCO JSON, OpenPose folders


def check_member(path: Path, folder: Path) -> None:
    """Refuse (InputError, shown in the file's row) a listed file that is not a regular file or
    whose real location is outside ``folder`` (a symlink out of the folder is not screened)."""
    import os
    import stat

    try:
        st = os.stat(path)
    except OSError as exc:
        raise InputError(f"{path.name}: cannot be read ({exc.strerror or exc})") from None
    if not stat.S_ISREG(st.st_mode):
        raise InputError(f"{path.name}: not a regular file (a FIFO, a device or a link to one); not screened")
    real, root = path.resolve(), folder.resolve()
    if root not in real.parents:
        raise InputError(f"{path.name}: a link to {real}, outside the folder; not screened")


# ---- result rows ------------------------------------------------------------------------
def category(row: Mapping[str, object]) -> str:
    """Which tally a result row counts in (one of :data:`TALLY`)."""
    if row.get("status") != "done":
        return "error"
    if row.get("quality_verdict") == "not usable":
        return RE_RECORD  # the quality gate refused the recording: film the child again
    return verdict_of_label(str(row.get("label") or "").lower() or None)


def _reason_codes(gate: Iterable[object], model: object) -> list[str]:
    """The codes of the gate's refusals and of the model's reasons, in that order, once each."""
    out: list[str] = []
    refusals = [r for r in gate if isinstance(r, Mapping) and r.get("level") == "refuse"]
    for r in [*refusals, *(model if isinstance(model, list) else [])]:
        code = str(r.get("code", "")) if isinstance(r, Mapping) else ""
        if code and code not in out:
            out.append(code)
    return out


def result_row(path: Path, folder: Path, *, sha256: str = "", patient: str | None = None,
               analysis: Mapping[str, object] | None = None, error: str | None = None,
               visit_id: int | None = None, seconds: float | None = None, model_version: str = "",
               subject: str | None = None, followed_track: str = "") -> ResultRow:
    """One CSV row of a file: from its analysis dict (as stored) or its error. ``subject``: the
    canonical choice (None: auto); ``followed_track``: ``#N`` of the person the analysis followed."""
    rel = path.relative_to(folder).as_posix() if path.is_relative_to(folder) else str(path)
    row: ResultRow = dict.fromkeys(CSV_COLUMNS, "")
    row.update(file=rel, sha256=sha256, patient=patient or "", model_version=model_version,
               visit_id=visit_id if visit_id is not None else "", seconds=seconds if seconds is not None else "",
               subject=subject or "", followed_track=followed_track)
    if analysis is not None:
        q = section(analysis, "quality")
        s = section(analysis, "screening")
        interval = s.get("cobb_interval") or [s.get("cobb_interval_lo"), s.get("cobb_interval_hi")]
        assert isinstance(interval, Sequence), "cobb_interval: not a pair"
        reasons = q.get("reasons") or []
        assert isinstance(reasons, Iterable), "quality reasons: not a list"
        row.update(
            status="done", label=s.get("label", ""), probability=s.get("probability", ""),
            cobb_estimate=s.get("cobb_estimate", ""),
            cobb_interval_lo="" if interval[0] is None else interval[0],
            cobb_interval_hi="" if interval[1] is None else interval[1],
            severity_band=s.get("severity_band", ""), quality_verdict=q.get("verdict", ""),
            quality_reasons="; ".join(str(r.get("message", r)) if isinstance(r, dict) else str(r)
                                      for r in reasons),
            error=analysis.get("screening_error", ""),
            reason_codes=";".join(_reason_codes(reasons, s.get("reasons"))),
        )
        row["model_version"] = s.get("model_version") or model_version
        if q.get("usable") is False:  # the gate refused it: the same label as predict gives
            row["label"] = RE_RECORD
    else:
        row.update(status="error", error=error or "unknown error")
    row["result"] = category(row)
    return row


def write_csv(rows: Iterable[Mapping[str, object]], out: str | Path) -> Path:
    """Every row (an iterable: streamed, not held), written atomically: a crash leaves the old file."""
    from scoliscreen.core.fileio import atomic_writer
    from scoliscreen.core.textsafe import spreadsheet_safe

    with atomic_writer(out, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=CSV_COLUMNS, extrasaction="ignore")
        writer.writeheader()
        for row in rows:  # a cell a spreadsheet would run as a formula gets a leading quote
            writer.writerow({k: spreadsheet_safe(v) for k, v in row.items()})
    return Path(out)
