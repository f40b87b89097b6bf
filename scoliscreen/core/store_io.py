"""Whole-database copies: an online backup (SQLite backup API, consistent while the app or a
batch job keeps writing) and a CSV export (one file per table, for a spreadsheet or an audit)."""

from __future__ import annotations

import csv
import os
import sqlite3
from pathlib import Path

from scoliscreen.core.errors import InputError, OutputError
from scoliscreen.core.fileio import atomic_writer, private_dir, temp_beside
from scoliscreen.core.textsafe import spreadsheet_safe

# tables exported, in this order; blobs are replaced by their size (the sequence's sha256 is a column)
EXPORT_TABLES = ("patients", "visits", "analyses", "recordings", "sequences", "notes", "measurements", "audit")


def backup(store, out: str | Path) -> Path:
    """Copy the database to ``out`` (a file, or a folder: then ``scoliscreen-<date>.sqlite3``)
    with SQLite's online backup; the copy is checked (integrity_check) before it is kept."""
    from datetime import datetime

    out = Path(out)
    if out.is_dir():
        out = out / f"scoliscreen-{datetime.now().strftime('%Y%m%d-%H%M%S')}.sqlite3"
    if os.path.lexists(out):
        raise InputError(f"{out}: already exists; choose a new file for the backup")
    if store.path is not None and out.resolve() == Path(store.path).resolve():
        raise InputError(f"{out}: is the records database itself")
    with temp_beside(out) as part:  # mkstemp (O_EXCL, 0600) beside OUT, then os.replace
        try:
            dest = sqlite3.connect(part)
            try:
                store.conn.backup(dest, pages=1024)
                dest.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
                ok = dest.execute("PRAGMA integrity_check").fetchone()[0]
            finally:
                dest.close()
        except sqlite3.Error as exc:
            raise OutputError(f"{out}: cannot write the backup ({exc})") from None
        if ok != "ok":
            raise OutputError(f"{out}: the backup copy failed its integrity check ({ok})")
    return out


def _cell(value):
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    return "" if value is None else spreadsheet_safe(value)


def export_csv(store, outdir: str | Path) -> list[Path]:
    """One ``<table>.csv`` per table (UTF-8, header row) in ``outdir``; returns the paths."""
    outdir = Path(outdir)
    if os.path.lexists(outdir) and (outdir.is_symlink() or not outdir.is_dir()):
        raise InputError(f"{outdir}: is not a folder; give a folder for the CSV export")
    private_dir(outdir)  # patient data: a folder made here is 0700
    existing = [t for t in EXPORT_TABLES if os.path.lexists(outdir / f"{t}.csv")]
    if existing:
        raise InputError(f"{outdir}: already holds {existing[0]}.csv; choose a new folder for the export")
    written = []
    store.conn.execute("BEGIN")  # one read transaction: a consistent snapshot of every table
    try:
        for table in EXPORT_TABLES:
            cur = store.conn.execute(f"SELECT * FROM [{table}] ORDER BY rowid")
            path = outdir / f"{table}.csv"
            with atomic_writer(path, "w", newline="", encoding="utf-8") as fh:  # 0600, O_EXCL temp
                w = csv.writer(fh)
                w.writerow([c[0] for c in cur.description])
                for row in cur:
                    w.writerow([_cell(v) for v in row])
            written.append(path)
    finally:
        store.conn.rollback()
    return written
