"""Screen a whole folder of clips, resumably: the runner the CLI (``scoliscreen batch``) and the GUI's
batch queue share.

    gen = batch_steps(options, store)          # a generator of BatchEvent
    for event in gen: ...                      # progress: a bar, a table, a log
    summary = drain(batch_steps(...))          # or run it to the end

Steps: list the folder's clips, match each to its patient and subject (roster; ``subject``: whom
to follow when several people are in view, the roster's cell or else ``--subject``, default the
person who walks), hash it and look up its job (``core/jobs.py``: key = file sha256 + model
version [+ subject]); skip what is done (and what failed, unless
``retry_failed``); hand the rest to the engine (a local process pool, or Dask) a few at a time;
record each result as a visit (through ``batch_adapter``) and then mark its job done. Only this
coordinating process writes the store. Results are written as they come and dropped from memory,
so memory stays flat whatever the number of clips; a worker streams its clip's frames.

``should_pause()`` (checked between results) stops handing out files while it is true;
``should_cancel()`` stops the batch: the files being screened are abandoned (their jobs go back
to the queue) and the generator returns the summary so far.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from scoliscreen.app import batch_adapter as adapter
from scoliscreen.app.batch_guard import batch_lock, patient_for_batch, refuse_same_file
from scoliscreen.app.batch_plan import (TALLY, ResultRow, as_int, check_member, read_roster, result_row, scan_folder,
                                        section,
                                        subject_key, write_csv)
from scoliscreen.core.errors import InputError, ScoliScreenError
from scoliscreen.core.interop.pose_in import content_sha256
from scoliscreen.core.jobs import JobRow, JobTable, job_key

if TYPE_CHECKING:
    from scoliscreen.app.batch_engines import Engine, Handle
    from scoliscreen.app.batch_worker import WorkerResult
    from scoliscreen.core.store import Store

MAX_ATTEMPTS = 3  # a file whose worker dies this many times is reported as an error
POLL_S = 0.2


@dataclass
class BatchOptions:
    folder: str | Path
    roster: str | Path | None = None
    out: str | Path | None = None
    workers: int | None = None
    create_patients: bool = False
    retry_failed: bool = False
    scheduler: str | None = None
    local_cluster: int | None = None
    reports: str | Path | None = None
    model_dir: str | Path | None = None
    device: str = "cpu"
    max_attempts: int = MAX_ATTEMPTS
    subject: str | None = None  # whom to follow in every clip (a roster's subject cell wins); None: auto
    tls_ca: str | Path | None = None  # a tls:// --scheduler: the cluster's CA, this client's certificate and key
    tls_cert: str | Path | None = None
    tls_key: str | Path | None = None


@dataclass
class BatchEvent:
    """``kind``: ``planned`` (``rows`` holds every file, ``status`` queued / done / error),
    ``started`` (engine description in ``message``), ``running`` (``row`` = the file handed out),
    ``result`` (``row`` final), ``retry`` (``row``, ``message`` = why), ``paused``, ``note``."""

    kind: str
    row: ResultRow | None = None
    done: int = 0
    total: int = 0
    tally: dict[str, int] = field(default_factory=dict)
    message: str = ""
    rows: list[ResultRow] | None = None


@dataclass
class BatchSummary:
    total: int
    done: int
    failed: int
    tally: dict[str, int]
    seconds: float
    out: Path | None
    engine: str = ""
    cancelled: bool = False
    screened: int = 0  # files actually screened in this run (not skipped)
    reports: list[Path] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return 0 if self.failed == 0 and not self.cancelled and self.done == self.total else 2


@dataclass
class _Item:
    index: int
    path: Path
    patient: str | None = None
    patient_id: int | None = None
    sha256: str = ""
    key: str = ""
    subject: str | None = None  # canonical (batch_plan.subject_key); None: the person who walks


class _EventFn(Protocol):
    def __call__(self, kind: str, *, message: str = "") -> BatchEvent: ...


def batch_steps(opts: BatchOptions, store: Store, *, should_cancel: Callable[[], bool] | None = None,
                should_pause: Callable[[], bool] | None = None,
                engine: Engine | None = None) -> Generator[BatchEvent, None, BatchSummary]:
    """The batch as a generator of :class:`BatchEvent`; returns the :class:`BatchSummary`. One
    batch at a time per records database (``batch_guard.batch_lock``: a second is refused)."""
    refuse_same_file(opts.out, "--out", roster=opts.roster, database=store.path)
    with batch_lock(store.path):
        return (yield from _steps(opts, store, should_cancel=should_cancel, should_pause=should_pause,
                                  engine=engine))


def _steps(opts: BatchOptions, store: Store, *, should_cancel: Callable[[], bool] | None,
           should_pause: Callable[[], bool] | None,
           engine: Engine | None) -> Generator[BatchEvent, None, BatchSummary]:
    t0 = time.perf_counter()
    folder = Path(opts.folder).resolve()
    files = scan_folder(folder)
    default_subject = subject_key(opts.subject)  # a bad --subject or roster cell: refused before any clip
    roster = read_roster(opts.roster) if opts.roster else None
    version = adapter.model_version(opts.model_dir)
    jobs = JobTable.of_store(store)
    # Memory: per file only a job key (or, for the few files that never become jobs, their row)
    # and a settled flag; result rows live in the job table and are streamed into the CSV.
    extra: dict[int, ResultRow] = {}  # rows of files that are no job (roster errors, duplicates)
    keys: list[str] = [""] * len(files)  # "": no job (yet)
    settled = bytearray(len(files))
    counts = dict.fromkeys(TALLY, 0)
    planned: list[ResultRow] = []
    queue: deque[_Item] = deque()
    created: dict[str, int] = {}
    seen: dict[str, int] = {}

    def settle(i: int, row: ResultRow) -> ResultRow:
        settled[i] = 1
        counts[str(row["result"])] += 1
        return row

    for i, path in enumerate(files):
        item = _Item(i, path, subject=default_subject)
        row: ResultRow | None = None
        try:
            check_member(path, folder)  # FIFOs, devices, links out of FOLDER: reported, not screened
            if roster is not None:
                entry = roster.entry_for(path, folder)
                if entry is None:
                    raise InputError(f"{path.name} is not in the roster {Path(roster.source).name}")
                item.patient = entry.patient
                item.subject = default_subject if entry.subject is None else subject_key(entry.subject)
                item.patient_id = patient_for_batch(store, item.patient, opts.create_patients, created)
            item.sha256 = content_sha256(path)  # a file, or an OpenPose JSON folder
        except (InputError, OSError) as exc:
            row = result_row(path, folder, patient=item.patient, error=str(exc), model_version=version,
                             subject=item.subject)
        same = job_key(item.sha256, version, item.subject, item.patient)
        if row is None and same in seen:
            row = result_row(path, folder, sha256=item.sha256, patient=item.patient, model_version=version,
                             subject=item.subject,
                             error=f"the same clip as {files[seen[same]].name} (screened once)")
        if row is not None:
            extra[i] = settle(i, row)
            planned.append(_slim(row))
            continue
        seen[same] = i
        job = jobs.ensure(item.sha256, version, str(path), item.patient, item.subject)
        item.key = keys[i] = job["key"]
        item.subject = job["subject"]  # the stored choice is what the worker follows
        if job["status"] == "running":  # left by a run that was killed
            visit_id = jobs.recover(item.key, item.patient_id)
            if visit_id is not None:
                analysis = adapter.stored_analysis(store, visit_id)
                jobs.finish(item.key, visit_id, result_row(path, folder, sha256=item.sha256, patient=item.patient,
                                                           analysis=analysis, visit_id=visit_id,
                                                           model_version=version, subject=item.subject))
                job = jobs.row(item.key)
        if job["status"] == "done" or (job["status"] == "error" and not opts.retry_failed):
            planned.append(_slim(settle(i, _stored_row(jobs, job, path, folder, version))))
            continue
        if job["status"] != "queued":
            jobs.requeue(item.key)
        queue.append(item)
        planned.append(_slim(result_row(path, folder, patient=item.patient, subject=item.subject))
                       | {"status": "queued", "result": "", "error": ""})

    total = len(files)

    def event(kind: str, *, row: ResultRow | None = None, message: str = "",
              rows: list[ResultRow] | None = None) -> BatchEvent:
        return BatchEvent(kind, row=row, done=sum(counts.values()), total=total, tally=dict(counts),
                          message=message, rows=rows)

    yield event("planned", rows=planned,
                message=f"{total} files: {len(queue)} to screen, {total - len(queue)} already settled")
    planned = []
    for pseudonym in created:
        yield event("note", message=f"created patient {pseudonym}")

    cancelled = False
    screened = 0
    eng_desc = ""
    if queue:
        own_engine = engine is None
        if engine is None:
            from scoliscreen.app.batch_engines import make_engine

            engine = make_engine(workers=opts.workers, scheduler=opts.scheduler,
                                 local_cluster=opts.local_cluster, model_dir=opts.model_dir,
                                 device=opts.device, tls=_tls(opts))
        eng_desc = engine.describe()
        yield event("started", message=eng_desc)
        inflight: dict[Handle, _Item] = {}
        paused = False
        try:
            while queue or inflight:
                if should_cancel is not None and should_cancel():
                    cancelled = True
                    break
                now_paused = bool(should_pause and should_pause())
                if now_paused != paused:
                    paused = now_paused
                    yield event("paused" if paused else "note", message="paused" if paused else "resumed")
                while queue and not paused and len(inflight) < engine.slots:
                    item = queue.popleft()
                    jobs.start(item.key)
                    inflight[engine.submit(str(item.path), item.subject)] = item
                    yield event("running", row=result_row(item.path, folder, patient=item.patient,
                                                          subject=item.subject)
                                | {"status": "running", "result": "", "error": ""})
                if not inflight:
                    time.sleep(POLL_S)
                    continue
                lost = False
                for handle in engine.wait_any(inflight, timeout=POLL_S):
                    item = inflight.pop(handle)
                    try:
                        res: WorkerResult = engine.collect(handle)
                    except Exception as exc:  # noqa: BLE001 - a lost worker (distributed raises its own types)
                        lost = True
                        job_now = jobs.get(item.key)
                        attempts = job_now["attempts"] if job_now is not None else 0
                        if attempts < opts.max_attempts:
                            jobs.lost(item.key, str(exc))
                            queue.appendleft(item)
                            yield event("retry", row=result_row(item.path, folder, patient=item.patient,
                                                                subject=item.subject)
                                        | {"status": "queued", "result": "", "error": str(exc)},
                                        message=f"{item.path.name}: {exc}; retrying (attempt {attempts + 1})")
                            continue
                        res = {"error": f"{exc} ({attempts} attempts)"}
                    row = settle(item.index, _settle(store, jobs, item, folder, res, version))
                    screened += 1
                    yield event("result", row=row)
                if lost:
                    engine.heal()
        finally:
            for item in inflight.values():  # abandoned (cancel, Ctrl-C, error): back to the queue
                jobs.requeue(item.key)
            if own_engine:
                engine.close(cancel=bool(inflight))

    def final_rows() -> Iterator[ResultRow]:
        """Every file's row, in folder order, from the job table (streamed, not kept)."""
        for j, path in enumerate(files):
            if j in extra:
                yield extra[j]
            elif settled[j]:
                yield _stored_row(jobs, jobs.row(keys[j]), path, folder, version)
            else:  # the batch stopped before this file
                yield result_row(path, folder, model_version=version) | {
                    "status": "queued", "result": "", "error": "not screened (batch stopped)"}

    out = write_csv(final_rows(), opts.out) if opts.out else None
    reports: list[Path] = []
    if opts.reports and not cancelled:
        reports = yield from _reports(store, final_rows(), Path(opts.reports), event)
    done = sum(1 for j in range(total) if settled[j]) - counts["error"]
    return BatchSummary(total, done, counts["error"], dict(counts), time.perf_counter() - t0, out, eng_desc,
                        cancelled, screened, reports)


def _tls(opts: BatchOptions) -> tuple[str | None, str | None, str | None]:
    def text(v: str | Path | None) -> str | None:
        return None if v is None else str(v)

    return text(opts.tls_ca), text(opts.tls_cert), text(opts.tls_key)


PLAN_KEYS = ("file", "patient", "status", "result", "probability", "error", "visit_id", "subject")


def _slim(row: Mapping[str, object]) -> ResultRow:
    return {k: row.get(k, "") for k in PLAN_KEYS}


def _stored_row(jobs: JobTable, job: JobRow, path: Path, folder: Path, version: str) -> ResultRow:
    """The CSV row a settled job holds (its file name as found now)."""
    row = jobs.summary(job) or result_row(path, folder, sha256=job["sha256"], patient=job["patient"],
                                          error=job["error"] or "failed in an earlier run", model_version=version,
                                          subject=job.get("subject"))
    row["file"] = result_row(path, folder)["file"]
    return row


def _settle(store: Store, jobs: JobTable, item: _Item, folder: Path, res: WorkerResult, version: str) -> ResultRow:
    """Record one worker result: the visit first, then the job (see core/jobs.py for why)."""
    worker_version = section(res.get("analysis") or {}, "screening").get("model_version")
    if worker_version and worker_version != version:  # a cluster worker with another install
        res = {**res, "error": f"the worker screened with model {worker_version}, not {version}; "
                              "install the same model on every worker"}
        res.pop("analysis")
        res.pop("result", None)
    if "analysis" in res:
        try:
            visit_id = adapter.record(store, res["result"], item.patient_id, video_sha256=item.sha256)
        except ScoliScreenError as exc:  # e.g. the patient was archived meanwhile: this file fails, not the batch
            return _settle(store, jobs, item, folder, {"error": f"not recorded: {exc}",
                                                       "seconds": res.get("seconds", 0.0)}, version)
        row = result_row(item.path, folder, sha256=item.sha256, patient=item.patient,
                         analysis=res["analysis"], visit_id=visit_id, seconds=res.get("seconds"),
                         model_version=version, subject=item.subject,
                         followed_track=res.get("followed_track", ""))
        jobs.finish(item.key, visit_id, row)
    else:
        row = result_row(item.path, folder, sha256=item.sha256, patient=item.patient,
                         error=res.get("error"), seconds=res.get("seconds"), model_version=version,
                         subject=item.subject)
        jobs.fail(item.key, str(row["error"]), row)
    return row


def _reports(store: Store, rows: Iterable[ResultRow], folder: Path,
             event: _EventFn) -> Generator[BatchEvent, None, list[Path]]:
    """Per-child PDF reports and a session summary, when a report module is installed."""
    hook = adapter.report_functions()
    if hook is None:
        yield event("note", message="PDF reports are not available in this install; none written")
        return []
    visit_report, session_report = hook
    from scoliscreen.core.fileio import private_dir

    private_dir(folder)  # reports of children: a folder made here is 0700
    written: list[Path] = []
    visit_ids: list[int] = []
    for row in rows:
        if row.get("visit_id") in ("", None):
            continue
        visit_ids.append(as_int(row["visit_id"]))
        if row.get("patient"):
            path = folder / f"{row['patient']}_visit{row['visit_id']}.pdf"
            written.append(visit_report(store, as_int(row["visit_id"]), path))
    if session_report is not None:
        written.append(session_report(store, visit_ids, folder / "session_summary.pdf"))
    yield event("note", message=f"{len(written)} PDF report(s) written to {folder}")
    return written


def drain(gen: Generator[BatchEvent, None, BatchSummary],
          on_event: Callable[[BatchEvent], None] | None = None) -> BatchSummary:
    """Run a batch generator to its end, passing each event to ``on_event``."""
    while True:
        try:
            ev = next(gen)
        except StopIteration as stop:
            summary: BatchSummary = stop.value  # the generator's return value
            return summary
        if on_event is not None:
            try:
                on_event(ev)
            except BaseException:
                gen.close()  # its clean-up (jobs back to the queue) runs while the store is open
                raise


def run_batch(opts: BatchOptions, store: Store, *, should_cancel: Callable[[], bool] | None = None,
              should_pause: Callable[[], bool] | None = None, engine: Engine | None = None) -> BatchSummary:
    return drain(batch_steps(opts, store, should_cancel=should_cancel, should_pause=should_pause, engine=engine))
