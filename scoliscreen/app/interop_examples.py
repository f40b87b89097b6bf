"""``scoliscreen export --example DIR``: one example file per export format (docs/examples/).

The example visit is the bundled sample clip (``resources/samples/sports2d_side_walk_single.mp4``,
its stored pose sequence from ``tests/data/poses`` in a source tree, else pose-estimated), analysed
with today's pipeline and filed under the made-up pseudonym ``EXAMPLE-001`` in a throw-away
records database. FHIR and DICOM are the visit's exports; the pose formats hold its first second
(30 frames) so the examples stay small (the knowledge-map CSV is computed on that second).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from scoliscreen.app.analysis import run_analysis
from scoliscreen.app.interop import export_visit
from scoliscreen.core.interop.output import check_output
from scoliscreen.core.paths import install_root, sample_clip_path
from scoliscreen.core.store import Store

EXAMPLE_FRAMES = 30


def example_source() -> Path:
    poses = install_root() / "tests" / "data" / "poses" / "sports2d_side_walk_single.npz"
    return poses if poses.is_file() else sample_clip_path()


def write_examples(folder: str | Path) -> list[Path]:
    from scoliscreen.core.interop.c3d import write_c3d
    from scoliscreen.core.interop.coco import write_coco
    from scoliscreen.core.interop.openpose import write_openpose
    from scoliscreen.core.interop.tables import write_csv_folder
    from scoliscreen.core.interop.trc import write_trc

    folder = check_output(folder, folder=True)
    analysis = run_analysis(example_source())
    seq = analysis.raw_sequence
    assert seq is not None
    written: list[Path] = []
    with tempfile.TemporaryDirectory(prefix="scoliscreen-examples-") as tmp, Store.open(Path(tmp) / "r.sqlite3") as store:
        p = store.add_patient("EXAMPLE-001", 2014, "F")
        vid = store.add_visit(p["id"], None, analysis.to_dict(), sequence=seq,
                              visited_at="2026-03-02T09:30:00+00:00")["id"]
        written.append(export_visit(store, vid, "fhir", folder / "example_fhir_bundle.json"))
        written.append(export_visit(store, vid, "dicom", folder / "example_encapsulated_pdf.dcm"))
    short = seq.slice(0, EXAMPLE_FRAMES)
    written.append(write_c3d(short, folder / "example_pose.c3d"))
    written.append(write_trc(short, folder / "example_pose.trc"))
    written.append(write_openpose(short, folder / "example_openpose", stem="example"))
    written.append(write_csv_folder(short, folder / "example_csv"))
    written.append(write_coco(short, folder / "example_coco17_input.json"))  # an input format (pose in)
    return written
