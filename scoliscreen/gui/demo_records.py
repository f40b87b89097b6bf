"""Stored visits for ``scoliscreen screenshot --view history|compare|report``: a temporary
records database with one demo patient and two visits of the same clip.

The later visit is the window's own analysis of the clip, saved through the normal Save button.
The earlier one ("a year before") is the same clip's pose sequence without its first second,
analysed again (a different walking segment, so the numbers really differ); it names the clip
as its video. Everything lives in a temporary folder that the caller deletes.
"""

from __future__ import annotations

import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

DEMO_PSEUDONYM = "DEMO-0001"
EARLIER_TRIM_S = 1.0


def earlier_visit(store, patient_id: int, analysis, clip: Path, model_dir=None) -> dict:
    """Store a visit made from ``analysis``'s pose sequence minus its first second, dated a year ago."""
    from scoliscreen.app.analysis import run_analysis
    from scoliscreen.app.models import shared_screener
    from scoliscreen.core.sequence import save_sequence

    seq = analysis.raw_sequence if analysis.raw_sequence is not None else analysis.sequence
    start = int(round(EARLIER_TRIM_S * seq.fps))
    with tempfile.TemporaryDirectory(prefix="scoliscreen-demo-") as tmp:
        npz = Path(tmp) / "earlier.npz"
        save_sequence(seq.slice(start, len(seq)), npz)
        earlier = run_analysis(npz, screener=lambda: shared_screener("auto", model_dir))
    when = (datetime.now(timezone.utc) - timedelta(days=365)).isoformat(timespec="seconds")
    return store.add_visit(patient_id, str(clip), earlier.to_dict(), notes="demo: earlier visit",
                           sequence=earlier.raw_sequence if earlier.raw_sequence is not None else earlier.sequence,
                           visited_at=when)


def fill_demo_records(window, clip: Path, folder: Path, model_dir=None) -> tuple[int, int]:
    """Point ``window`` at a new store in ``folder``, create the demo patient, save the window's
    analysis as today's visit and add the earlier one. Returns (earlier id, later id)."""
    from datetime import date

    from scoliscreen.core.store import DB_NAME, Store

    window.patient_bar.set_store_factory(lambda: Store.open(Path(folder) / DB_NAME))
    patient = window.patient_bar.new_patient((DEMO_PSEUDONYM, date.today().year - 12, "F"))
    if patient is None:
        raise RuntimeError("the demo patient could not be created")
    store = window.patient_bar.store
    before = earlier_visit(store, patient["id"], window.analysis, clip, model_dir)
    window.save_visit()
    later = window.records.current_visit_id
    if later is None:
        raise RuntimeError("the analysed clip could not be saved")
    return int(before["id"]), int(later)
