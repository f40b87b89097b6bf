"""``scoliscreen batch FOLDER``: screen every clip of a folder, resumably, on local workers or Dask.

    scoliscreen batch /media/sd/monday --roster roster.csv --out monday.csv
    scoliscreen batch FOLDER --workers 2 --retry-failed
    scoliscreen batch FOLDER --scheduler tls://10.0.0.5:8786 --tls-ca ca.pem --tls-cert me.pem --tls-key me.key
    scoliscreen batch FOLDER --local-cluster 2                     # a Dask LocalCluster (TLS)
    scoliscreen batch FOLDER --subject "#1"                        # follow person track 1 in every clip

Exit status: 0 when every file was screened (a refused recording counts: its visit is recorded
and its CSV row says re-record), 2 when any file failed or a bad argument was given.
"""

from __future__ import annotations

import sys

from scoliscreen.core.textsafe import terminal_safe

MAX_WORKERS = 64  # each worker process holds ~0.8 GB

def register(subparsers) -> None:
    p = subparsers.add_parser(
        "batch",
        help="screen a whole folder of clips (resumable; local workers or a Dask cluster)",
        description=(
            "Screen every video and pose-sequence file under FOLDER, record each result as a visit, "
            "and write one CSV row per file. The job table in the records database makes a re-run "
            "skip what is done, so an interrupted batch resumes where it stopped."
        ),
    )
    p.add_argument("folder", metavar="FOLDER", help="folder of clips (videos, pose-sequence .npz, and other tools' pose: .trc, COCO .json, "
                        "OpenPose JSON folders)")
    p.add_argument("--roster", metavar="CSV",
                   help="CSV with 'file' (name or glob pattern) and 'patient' (pseudonym) columns, and optionally "
                        "'subject' (whom to follow in that clip, as --subject, a point quoted: \"X,Y\"; an empty "
                        "cell takes --subject)")
    p.add_argument("--subject", default="auto", metavar="WHO",
                   help="whom to follow in every clip when several people are in view: 'auto' (default: the "
                        "person who walks), a point 'X,Y' (pixels, or fractions of the picture) optionally "
                        "'@FRAME', or a track number '#N'; a roster's 'subject' cell wins over it")
    p.add_argument("--out", metavar="CSV", help="write one result row per file here")
    p.add_argument("--workers", type=int, metavar="N", help="worker processes (default: one per core)")
    p.add_argument("--create-patients", action="store_true",
                   help="create roster patients that are not in the records yet (else: error rows)")
    p.add_argument("--retry-failed", action="store_true", help="screen again the files that failed before")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--scheduler", metavar="tls://HOST:PORT",
                       help="run the tasks on this Dask scheduler (tls:// with --tls-ca/--tls-cert/--tls-key; "
                            "plain tcp:// only to this machine)")
    where.add_argument("--local-cluster", type=int, metavar="N",
                       help="run on a Dask LocalCluster of N workers (TLS, throw-away credentials)")
    p.add_argument("--tls-ca", metavar="PEM", help="CA certificate of a tls:// --scheduler's cluster")
    p.add_argument("--tls-cert", metavar="PEM", help="this client's certificate for a tls:// --scheduler")
    p.add_argument("--tls-key", metavar="PEM", help="this client's private key for a tls:// --scheduler")
    p.add_argument("--reports", metavar="DIR", help="write a PDF report per child (and a session summary) here")
    p.add_argument("--export", nargs=2, metavar=("FORMATS", "DIR"),
                   help="also write each screened visit as these formats (comma-separated: fhir,dicom,c3d,trc,"
                        "openpose,csv; docs/interop.md) into DIR, one file per visit and format")
    p.add_argument("--model", metavar="DIR", help="screening model folder (default: the shipped one)")
    p.add_argument("--device", default="cpu", choices=["auto", "cpu", "cuda", "mps"],
                   help="device of each worker's model (default cpu: one model per worker process)")
    p.add_argument("--db", metavar="FILE", help="records database (default: the one in the user data dir)")
    p.set_defaults(func=run)


def _check(args) -> None:
    from scoliscreen.core.errors import InputError

    for flag, n in (("--workers", args.workers), ("--local-cluster", args.local_cluster)):
        if n is not None and not 1 <= n <= MAX_WORKERS:
            raise InputError(f"{flag} must be between 1 and {MAX_WORKERS} (worker processes on this machine)")
    from scoliscreen.core.device import check_workers

    check_workers(args.workers)  # and at most 4 per CPU
    check_workers(args.local_cluster, "--local-cluster")
    if args.out:
        from scoliscreen.core.fileio import check_target

        check_target(args.out)  # a link, a device or a folder is refused before any clip is screened
    from scoliscreen.app.cluster import TlsFiles, check_scheduler

    check_scheduler(args.scheduler, TlsFiles(args.tls_ca, args.tls_cert, args.tls_key),
                    local_cluster=args.local_cluster is not None)
    from scoliscreen.core.tracking import parse_subject

    parse_subject(args.subject)  # a bad --subject: one line, exit 2, before the records open
    from scoliscreen.app.batch_guard import refuse_same_file
    from scoliscreen.core.store import Store

    refuse_same_file(args.out, "--out", roster=args.roster, database=args.db or Store.default_path())


class _Display:
    """Rich progress bar (ETA + running tally) on a terminal; plain lines otherwise."""

    def __init__(self):
        self.tty = sys.stderr.isatty()
        self.bar = None
        self.task = None

    def __enter__(self):
        if self.tty:
            from rich.console import Console
            from rich.progress import (
                BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn,
            )

            self.bar = Progress(TextColumn("[bold]Screening"), BarColumn(), MofNCompleteColumn(),
                                TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
                                TextColumn("{task.fields[tally]}"), console=Console(stderr=True))
            self.bar.__enter__()
        return self

    def __exit__(self, *exc):
        if self.bar is not None:
            self.bar.__exit__(*exc)

    @staticmethod
    def tally_text(tally: dict) -> str:
        return " · ".join(f"{k} {v}" for k, v in tally.items())

    def __call__(self, ev) -> None:
        if self.bar is not None:
            if self.task is None:
                self.task = self.bar.add_task("batch", total=ev.total, completed=ev.done, tally="")
            self.bar.update(self.task, completed=ev.done, total=ev.total, tally=self.tally_text(ev.tally))
            if ev.kind in ("retry", "note", "started", "planned", "paused") and ev.message:
                self.bar.console.print(terminal_safe(ev.message), markup=False)
        elif ev.kind == "result":
            row = ev.row
            what = row["result"] + (f": {row['error']}" if row["status"] == "error" else "")
            print(terminal_safe(f"[{ev.done}/{ev.total}] {row['file']}: {what}"), file=sys.stderr)
        elif ev.message:
            print(terminal_safe(ev.message), file=sys.stderr)


def run(args) -> int:
    from scoliscreen.app.batch import BatchOptions, batch_steps, drain
    from scoliscreen.core.store import Store

    _check(args)
    exports = None
    if args.export:
        from scoliscreen.app.interop import parse_formats

        exports = (parse_formats(args.export[0]), args.export[1])  # a bad name: one line, before any work
    opts = BatchOptions(folder=args.folder, roster=args.roster, out=args.out, workers=args.workers,
                        create_patients=args.create_patients, retry_failed=args.retry_failed,
                        scheduler=args.scheduler, local_cluster=args.local_cluster, reports=args.reports,
                        model_dir=args.model, device=args.device, subject=args.subject,
                        tls_ca=args.tls_ca, tls_cert=args.tls_cert, tls_key=args.tls_key)
    visit_ids: list[int] = []

    def on_event(ev) -> None:
        rows = [ev.row] if ev.kind == "result" and ev.row else ev.rows if ev.kind == "planned" and ev.rows else []
        visit_ids.extend(int(r["visit_id"]) for r in rows  # screened now, or in an earlier run of this batch
                         if r.get("visit_id") not in ("", None) and r.get("status") in ("done", None))
        display(ev)

    with Store.open(args.db) as store, _Display() as display:
        summary = drain(batch_steps(opts, store), on_event)
        if exports and visit_ids and not summary.cancelled:
            from scoliscreen.app.interop import export_visits

            written = export_visits(store, dict.fromkeys(visit_ids), *exports)
            print(f"{len(written)} export(s) ({', '.join(exports[0])}) written to {exports[1]}")
    minutes = summary.seconds / 60.0
    rate = f", {summary.screened / minutes:.1f} clips/min" if summary.screened and minutes > 0 else ""
    print(f"Batch: {summary.total} files, {summary.done} done, {summary.failed} failed"
          f" ({summary.screened} screened in this run, {summary.seconds:.0f} s{rate}"
          + (f", on {summary.engine}" if summary.engine else "") + ")")
    print("Results: " + _Display.tally_text(summary.tally))
    if summary.out:
        print(f"Result rows written to {summary.out}")
    if summary.failed:
        print(f"{summary.failed} file(s) failed; see the 'error' column"
              + ("" if args.retry_failed else "; re-run with --retry-failed to try them again"))
    return summary.exit_code
