"""The clinic's visits with an outcome as a dataset folder (``docs/dataset_format.md``), for
``train --from-records`` and a federated clinic's node: each visit's stored pose sequence as
``vNNNNN.npz``, one subject per patient (``sN``: the patient's row id, never the pseudonym), and
the outcome that counts (``store_outcomes.best_outcome``) as the Cobb angle or, without one,
the class. The folder is the caller's (a private temporary folder): nothing else is written.
"""

from __future__ import annotations

import csv
import os
import sqlite3
from pathlib import Path

from scoliscreen.core.errors import DatasetError

COLUMNS = ("file", "subject_id", "cobb_angle", "label")


def records_to_dataset(db: str | Path | None, folder: Path) -> int:
    """Write the dataset folder; returns the number of clips. DatasetError when there is none."""
    from scoliscreen.core.sequence import save_sequence
    from scoliscreen.core.store import Store
    from scoliscreen.core.store_outcomes import best_outcome

    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(folder, 0o700)
    rows: list[dict[str, str]] = []
    with Store.open(db, read_only=True) as store:
        by_visit: dict[int, list[dict]] = {}
        try:
            outcomes = store.outcomes()
        except sqlite3.OperationalError:  # a database from before outcomes (opened read-only, not migrated)
            outcomes = []
        for o in outcomes:
            by_visit.setdefault(int(o["visit_id"]), []).append(o)
        for vid in sorted(by_visit):
            best = best_outcome(by_visit[vid])
            visit = store.get_visit(vid)
            if best is None or visit.get("deleted_at"):
                continue
            seq = store.sequence(vid)
            if seq is None:
                continue
            name = f"v{len(rows):05d}.npz"
            save_sequence(seq, folder / name)
            pid = visit.get("patient_id")
            cobb = best.get("cobb")
            rows.append({"file": name, "subject_id": f"s{pid}" if pid is not None else f"v{vid}",
                         "cobb_angle": "" if cobb is None else f"{float(cobb):.2f}",
                         "label": "" if cobb is not None else str(best.get("class"))})
    if not rows:
        raise DatasetError("no visit with an outcome and a stored pose sequence in the records: add outcomes "
                           "with 'scoliscreen outcomes add' first")
    with open(folder / "labels.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(COLUMNS))
        w.writeheader()
        w.writerows(rows)
    return len(rows)


__all__ = ["records_to_dataset"]
