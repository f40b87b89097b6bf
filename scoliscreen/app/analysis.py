"""One analysis as one generator: record -> quality gate -> knowledge map + clinical text
(computed once, on the span of the walk the model screens: every usable 96-frame window,
``core.model.pooling``) -> screening (the windows pooled into one answer).

    steps = analysis_steps("walk.mp4", notes="")
    for event in steps: ...            # Stage / Progress / Preview / QualityJudged
    # the generator's return value (StopIteration.value) is the Analysis; or simply:
    analysis = run_analysis("walk.mp4")

Cancelling: ``should_cancel()`` is checked between yields (and per frame during pose
estimation); a true result raises :class:`~scoliscreen.core.errors.Cancelled`. Closing the
generator early stops the pose estimation too.
"""

from __future__ import annotations

import dataclasses
import queue
import threading
import time
from collections.abc import Callable, Generator
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from scoliscreen.app.events import Event, Preview, Progress, QualityJudged, Stage
from scoliscreen.core.analyze import DEFAULT_CAMERA_SECONDS, Analysis, ModelSegment, Spec, analyze, is_pose_file
from scoliscreen.core.constants import SEQUENCE_SUFFIXES, TARGET_FPS, WINDOW_FRAMES
from scoliscreen.core.errors import Cancelled, ScoliScreenError
from scoliscreen.core.model.features import SegmentPart
from scoliscreen.core.model.pooling import walk_windows

if TYPE_CHECKING:
    from scoliscreen.core.model.features import ClipInputs
    from scoliscreen.core.model.predict import Screener
    from scoliscreen.core.video import Frame

__all__ = ["Analysis", "Event", "ModelSegment", "Preview", "Progress", "QualityJudged", "Stage",
           "analysis_steps", "interpret", "model_windows", "run_analysis", "screen"]

PREVIEW_INTERVAL_S = 0.1  # the skeleton being found is shown ~10 times a second


class _Done:
    """End of the pose thread: its Analysis, or the exception it raised."""

    def __init__(self, analysis: Analysis | None, error: BaseException | None) -> None:
        self.analysis, self.error = analysis, error


def _record(spec: Spec, seconds: float, cancelled: Callable[[], bool],
            subject: str | None = None) -> Generator[Event, None, Analysis]:
    """Pose estimation + gate; a video or camera runs on a helper thread whose per-frame
    callbacks come back here as events (closing this generator stops that thread)."""
    if not isinstance(spec, int) and (str(spec).lower().endswith(SEQUENCE_SUFFIXES) or is_pose_file(spec)):
        return analyze(spec)
    q: queue.Queue[Event | _Done] = queue.Queue()
    stop = threading.Event()
    last = [0.0]

    def on_frame(frame: Frame, landmarks: npt.NDArray[np.float32]) -> None:
        now = time.monotonic()
        if now - last[0] >= PREVIEW_INTERVAL_S:
            last[0] = now
            q.put(Preview(frame, np.asarray(landmarks, np.float32)))

    def body() -> None:
        try:
            result = analyze(spec, lambda d, t: q.put(Progress(int(d), t)),
                             lambda: stop.is_set() or cancelled(), seconds=seconds, on_frame=on_frame,
                             subject=subject)
            q.put(_Done(result, None))
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer, re-raised there
            q.put(_Done(None, exc))

    thread = threading.Thread(target=body, name="scoliscreen-pose", daemon=True)
    thread.start()
    try:
        while True:
            try:
                item = q.get(timeout=0.2)
            except queue.Empty:
                continue
            if isinstance(item, _Done):
                if item.error is not None:
                    raise item.error
                assert item.analysis is not None
                return item.analysis
            yield item
    finally:
        stop.set()
        thread.join()


def interpret(analysis: Analysis, notes: str = "", seg: SegmentPart | None = None) -> Analysis:
    """The knowledge map and the clinical text of a usable recording, computed once on the
    span of the walk the model screens (``seg``, found here when not given: every usable
    96-frame window); window times on the clip's time axis."""
    from scoliscreen.core.kinematics import clinical_text, compute_knowledge_map

    if not analysis.quality.usable or analysis.sequence is None:
        return analysis
    seg = seg or walk_windows(analysis.sequence, analysis.quality.segment)
    km = compute_knowledge_map(seg.part)
    # the model's time axis: window centres in the whole clip (pooling.window_inputs)
    km = dataclasses.replace(km, window_times_s=seg.start_s + (km.window_start + WINDOW_FRAMES / 2) / TARGET_FPS)
    text = clinical_text(km, notes)
    segment = ModelSegment(seg.start_s, seg.start_s + seg.n_frames / seg.part.fps, seg.n_frames)
    return analysis.replace(segment=segment, knowledge_map=km, clinical_text=text)


def model_windows(analysis: Analysis, notes: str = "", seg: SegmentPart | None = None) -> list[tuple[ClipInputs, ClipInputs]]:
    """The model inputs of every window of an interpreted Analysis: slices of its map, its text."""
    from scoliscreen.core.model.pooling import window_inputs

    if analysis.knowledge_map is None or analysis.clinical_text is None or analysis.sequence is None:
        return []
    seg = seg or walk_windows(analysis.sequence, analysis.quality.segment)
    return window_inputs(seg, analysis.knowledge_map, analysis.clinical_text.text, notes)


def screen(analysis: Analysis, screener: Screener, notes: str = "", seg: SegmentPart | None = None) -> Analysis:
    """Run the model on the map and the text of an interpreted Analysis (its inputs, as is):
    every usable window, pooled."""
    pairs = model_windows(analysis, notes, seg)
    if not pairs:
        return analysis
    return analysis.replace(screening=screener.predict(analysis.sequence, notes, pairs=pairs))


def analysis_steps(
    spec: Spec,
    *,
    notes: str = "",
    screener: Screener | Callable[[], Screener] | None = None,
    seconds: float = DEFAULT_CAMERA_SECONDS,
    should_cancel: Callable[[], bool] | None = None,
    subject: str | None = None,
) -> Generator[Event, None, Analysis]:
    """Analyse one recording, yielding typed events; returns the frozen :class:`Analysis`.

    ``screener``: a loaded ``Screener``, a zero-argument callable returning one (called only
    for a usable recording), or None for the shipped model. A model that cannot be used keeps
    the map and the text; its message goes to ``Analysis.screening_error``. ``subject``: who
    to follow when several people are in view (``auto``, ``X,Y[@FRAME]``, ``#N``)."""
    def cancelled() -> bool:
        return should_cancel is not None and should_cancel()

    def check() -> None:
        if cancelled():
            raise Cancelled("The analysis was cancelled.")

    if isinstance(spec, int) and not isinstance(spec, bool) and (not seconds or seconds <= 0):
        from scoliscreen.core.errors import InputError

        raise InputError("the recording length (seconds) must be a positive number")
    yield Stage("Recording and finding the body…" if isinstance(spec, int) else "Finding the body in each frame…")
    analysis = yield from _record(spec, seconds, cancelled, subject)
    check()
    yield QualityJudged(analysis.quality)
    check()
    if not analysis.quality.usable:
        return analysis
    yield Stage("Computing the kinematic knowledge map…")
    check()
    assert analysis.sequence is not None
    seg = walk_windows(analysis.sequence, analysis.quality.segment)
    analysis = interpret(analysis, notes, seg)
    yield Stage("Running the screening model…")
    check()
    try:
        from scoliscreen.app.models import load_screener

        if screener is None:
            model = load_screener()
        elif callable(screener) and not hasattr(screener, "predict"):
            model = screener()
        else:
            model = screener  # type: ignore[assignment]
        check()  # loading the model can take a moment: honour a cancel before predicting
        analysis = screen(analysis, model, notes, seg)
    except Cancelled:
        raise
    except ScoliScreenError as exc:
        analysis = analysis.replace(screening_error=f"The screening model could not be used: {exc}")
    check()
    return analysis


def run_analysis(
    spec: Spec,
    *,
    notes: str = "",
    screener: Screener | Callable[[], Screener] | None = None,
    seconds: float = DEFAULT_CAMERA_SECONDS,
    should_cancel: Callable[[], bool] | None = None,
    on_event: Callable[[Event], None] | None = None,
    subject: str | None = None,
) -> Analysis:
    """Drain :func:`analysis_steps` (``on_event`` sees every event) and return its Analysis."""
    steps = analysis_steps(spec, notes=notes, screener=screener, seconds=seconds, should_cancel=should_cancel,
                           subject=subject)
    while True:
        try:
            event = next(steps)
        except StopIteration as stop:
            result: Analysis = stop.value
            return result
        if on_event is not None:
            on_event(event)
