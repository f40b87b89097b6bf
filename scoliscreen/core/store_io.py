"""Whole-database copies: an online backup (SQLite backup API, consistent while the app or a
batch job keeps writing) and a CSV export (one file per table, for a spreadsheet or an audit)."""

from __future__ import annotations

import csv
import sqlite3
from pathlib import Path

from scoliscreen.core.errors import InputError

# tables exported, in this order; blobs are replaced by their size (the sequence's sha256 is a column)
EXPORT_TABLES = ("patients", "visits", "analyses", "recordings", "sequences", "notes", "measurements", "audit")


def backup(store, out: str | Path) -> Path:
    """Copy the database to ``out`` (a file, or a folder: then ``scoliscreen-<date>.sqlite3``)
    with SQLite's online backup; the copy is checked (integrity_check) before it is kept."""
    from datetime import datetime

    out = Path(out)
    if out.is_dir():
        out = out / f"scoliscreen-{datetime.now().strftime('%Y%m%d-%H%M%S')}.sqlite3"
    if out.exists():
        raise InputError(f"{out}: already exists; choose a new file for the backup")
    if store.path is not None and out.resolve() == Path(store.path).resolve():
        raise InputError(f"{out}: is the records database itself")
    out.parent.mkdir(parents=True, exist_ok=True)
    part = out.with_name(out.name + ".part")
    dest = sqlite3.connect(part)
    try:
        store.conn.backup(dest, pages=1024)
        dest.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
        ok = dest.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        dest.close()
    if ok != "ok":
        part.unlink(missing_ok=True)
        raise InputError(f"{out}: the backup copy failed its integrity check ({ok})")
    part.replace(out)
    return out


def _cell(value):
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    return "" if value is None else value


def export_csv(store, outdir: str | Path) -> list[Path]:
    """One ``<table>.csv`` per table (UTF-8, header row) in ``outdir``; returns the paths."""
    outdir = Path(outdir)
    if outdir.exists() and not outdir.is_dir():
        raise InputError(f"{outdir}: is a file; give a folder for the CSV export")
    outdir.mkdir(parents=True, exist_ok=True)
    written = []
    store.conn.execute("BEGIN")  # one read transaction: a consistent snapshot of every table
    try:
        for table in EXPORT_TABLES:
            cur = store.conn.execute(f"SELECT * FROM [{table}] ORDER BY rowid")
            path = outdir / f"{table}.csv"
            tmp = path.with_name(path.name + ".part")
            with open(tmp, "w", newline="", encoding="utf-8") as fh:
                w = csv.writer(fh)
                w.writerow([c[0] for c in cur.description])
                for row in cur:
                    w.writerow([_cell(v) for v in row])
            tmp.replace(path)
            written.append(path)
    finally:
        store.conn.rollback()
    return written
