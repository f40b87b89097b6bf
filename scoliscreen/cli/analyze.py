"""``scoliscreen analyze``: pose estimation + recording quality gate on a video, camera or pose file.

    scoliscreen analyze                       # the bundled sample walking clip
    scoliscreen analyze VIDEO [--save-sequence OUT.npz] [--json]
    scoliscreen analyze POSES.npz             # a pose-sequence file: skips pose estimation
    scoliscreen analyze openpose_json/        # OpenPose BODY_25 folder, .trc or COCO-17 .json (docs/interop.md)
    scoliscreen analyze --camera 0 --seconds 6
    scoliscreen analyze VIDEO --subject 850,600  # follow the person at that point (default: the walker)

Exit status: 0 usable recording, 3 refused by the quality gate (reasons printed), 2 bad input.
Heavy libraries (cv2, mediapipe) are imported inside ``run``.
"""

from __future__ import annotations

import json

from scoliscreen.core.constants import DEVICES


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "analyze",
        help="find the skeleton in a walking video and check the recording is usable",
        description=(
            "Find the child's skeleton in every frame (MediaPipe Pose) and judge whether the "
            "recording is usable for a gait screening. With no VIDEO and no --camera, the bundled "
            "sample clip is analysed."
        ),
    )
    p.add_argument("video", nargs="?", metavar="VIDEO",
                   help="video file (mp4, mov, avi, mkv), pose-sequence .npz, or another tool's pose: an OpenPose JSON "
                        "folder, a 2-D .trc or a COCO-17 .json (docs/interop.md); default: the bundled sample")
    p.add_argument("--camera", type=int, metavar="INDEX", help="record from this camera (OpenCV index) instead")
    p.add_argument("--seconds", type=float, default=6.0, help="recording length with --camera (default 6)")
    p.add_argument("--save-sequence", metavar="OUT.npz", help="write the pose sequence (docs/sequence_format.md)")
    p.add_argument("--subject", default="auto", metavar="WHO",
                   help="who to follow when several people are in view: 'auto' (the person who walks; "
                        "default), a point 'X,Y' on them in the first frames (pixels, or fractions of the "
                        "picture; '@FRAME' picks another frame), or a track number '#N'")
    p.add_argument("--json", action="store_true", help="print the result as JSON on stdout")
    p.add_argument("--notes", default="", help="clinician's notes (appended to the clinical text)")
    p.add_argument("--patient", metavar="ID", help="record the visit under this patient (see `scoliscreen patients`)")
    p.add_argument("--no-record", action="store_true",
                   help="do not record the visit in the local database (user data dir)")
    p.add_argument("--model", metavar="DIR", help="screening model folder (default: the shipped one)")
    p.add_argument("--device", default="auto", choices=DEVICES)
    p.set_defaults(func=run)


def format_summary(analysis) -> str:
    """Human-readable summary of an Analysis (what the CLI prints)."""
    from scoliscreen import DISCLAIMER

    src, q, seq = analysis.source, analysis.quality, analysis.sequence
    st = q.stats
    w, h = src.size
    lines = [
        f"Source:      {src.description} ({src.kind}, {w}x{h}"
        + (f", rotated {src.rotation} deg" if src.rotation else "") + ")",
        f"Frames:      {len(seq)} at {seq.fps:.1f} fps ({seq.duration_s:.1f} s)",
        f"Person found: {st['frames_with_person']}/{st['frames']} frames ({100 * st['detection_rate']:.0f}%)"
        + (f", {st['false_detections_filtered']} false detection(s) ignored" if st["false_detections_filtered"] else ""),
        f"Whole body in view: {100 * st['full_body_rate']:.0f}% of those frames",
        f"Usable walking: {st['usable_walking_s']:.1f} s"
        + (f" (frames {q.segment[0]}-{q.segment[1] - 1})" if q.segment else ""),
        f"View:        {q.view}",
        f"Quality:     {q.verdict.upper()}",
    ]
    for r in q.reasons:
        tag = "REFUSED" if r.level == "refuse" else "warning"
        lines.append(f"  - {tag}: {r.message}")
    if src.seconds_elapsed:
        lines.append(f"Pose estimation took {src.seconds_elapsed:.1f} s "
                     f"({len(seq) / max(src.seconds_elapsed, 1e-9):.0f} frames/s)")
    lines += format_screening(analysis)
    lines.append(DISCLAIMER + ".")
    return "\n".join(lines)


def _pct(p: float) -> str:
    """A chance in plain words: one decimal below 10 % (the school threshold is ~1.5 %)."""
    return f"{100 * p:.1f}%" if p < 0.1 else f"{100 * p:.0f}%"


def format_screening(analysis) -> list[str]:
    """The screening part of the summary (empty for a refused recording)."""
    from scoliscreen.core import outcome_words as words
    from scoliscreen.core.landmarks import REGION_NAMES

    lines = []
    res = analysis.screening
    if res is not None:
        top = sorted(res.region_weights.items(), key=lambda kv: -kv[1])[:3]
        word = words.verdict_of_label(res.label)
        lines.append(f"Screening:   {words.HEADLINES[word][0]} ({res.label})")
        rerec, inconc = words.split_reasons(res.reasons)
        if word == words.RE_RECORD:
            lines += [f"  - re-record: {m}" for m in rerec] + [f"  {words.RE_RECORD_ADVICE}"]
        elif word == words.INCONCLUSIVE:
            lines += [f"  - inconclusive: {m}" for m in inconc] + [f"  {words.INCONCLUSIVE_ADVICE}"]
        else:
            lines.append(f"Chance of Cobb >= 10 deg: {_pct(res.probability)}")
            setting = words.setting_words(res.referral_setting)
            if setting:
                lines.append("  " + setting.replace("°", " deg"))
        lines += [
            "  " + words.cobb_words(res.label, res.cobb_estimate, list(res.cobb_interval), res.severity_band,
                                    ascii_only=True),
            "Model looked most at: " + ", ".join(f"{REGION_NAMES[r]} {100 * w:.0f}%" for r, w in top),
            f"Model:       {res.model_version} on {res.device}",
        ]
    elif analysis.screening_error:
        lines.append(f"Screening:   none. {analysis.screening_error}")
    seg = analysis.segment
    if seg is not None:
        lines.append(f"Used:        {seg.start_s:.1f}-{seg.stop_s:.1f} s of the {analysis.duration_s:.1f} s clip "
                     "for the map, the description and the model (the rest was not used)")
    if analysis.clinical_text is not None and analysis.clinical_text.text:
        lines.append("Clinical description: " + analysis.clinical_text.text)  # as the model read it
    return lines


def _record(args, result, saved) -> dict | None:
    """Append the visit to the local records (SQLite in the user data dir)."""
    from scoliscreen.app.records import record_visit
    from scoliscreen.core.store import Store

    with Store.open() as store:
        patient_id = store.require_patient(args.patient)["id"] if args.patient else None
        return record_visit(store, result, patient_id=patient_id, notes=args.notes, sequence_file=saved)


def _check_args(args) -> None:
    """Argument ranges (one line, exit 2) before anything heavy is loaded."""
    import math

    from scoliscreen.core.errors import InputError
    from scoliscreen.core.video import MAX_CAMERA_INDEX

    if args.camera is not None and args.video:
        raise InputError("give either a VIDEO or --camera, not both")
    if args.camera is not None and not 0 <= args.camera <= MAX_CAMERA_INDEX:
        raise InputError(f"--camera must be a camera number between 0 and {MAX_CAMERA_INDEX}, got {args.camera}")
    if not (math.isfinite(args.seconds) and 0 < args.seconds <= MAX_SECONDS):
        raise InputError(f"--seconds must be a number in (0, {MAX_SECONDS:.0f}], got {args.seconds}")
    from scoliscreen.core.tracking import parse_subject

    parse_subject(args.subject)
    if args.patient and args.no_record:
        raise InputError("--patient records the visit; it cannot be combined with --no-record")


MAX_SECONDS = 600.0  # a camera recording longer than 10 minutes is not a gait screening


def run(args) -> int:
    from scoliscreen.cli._progress import progress_bar
    from scoliscreen.core import paths
    from scoliscreen.app.analysis import run_analysis
    from scoliscreen.app.events import Progress
    from scoliscreen.app.models import load_screener
    from scoliscreen.core.errors import InputError, RecordingUnusable
    from scoliscreen.core.sequence import save_sequence

    _check_args(args)
    spec = args.camera if args.camera is not None else (args.video or str(paths.sample_clip_path()))
    if args.patient:  # an unknown patient is reported before the analysis runs
        from scoliscreen.core.store import Store

        with Store.open() as store:
            patient = store.require_patient(args.patient)
        if patient["archived_at"]:  # add_visit would refuse it, but only after the analysis
            raise InputError(f"patient {patient['pseudonym']} is archived; restore them first "
                             f"(scoliscreen patients archive {patient['pseudonym']} --undo)")
    # A missing or damaged model fails here (exit 2), before any recording or visit.
    screener = load_screener(args.model, device=args.device)
    label = "Recording + pose" if args.camera is not None else "Pose estimation"
    with progress_bar(label) as update:
        result = run_analysis(spec, notes=args.notes, seconds=args.seconds, screener=screener, subject=args.subject,
                              on_event=lambda e: update(e.done, e.total) if isinstance(e, Progress) else None)
    if result.quality.usable and result.screening is None:  # never record a visit without a result
        from scoliscreen.core.errors import ModelIntegrityError

        raise ModelIntegrityError(result.screening_error or "the screening model gave no result")
    saved = save_error = None
    if args.save_sequence:
        try:
            saved = save_sequence(result.raw_sequence, args.save_sequence)
        except InputError as exc:  # the visit is still recorded; the failure is reported at the end
            save_error = exc
    visit = None if args.no_record else _record(args, result, saved)
    if args.json:
        out = result.to_dict()
        if saved:
            out["saved_sequence"] = str(saved)
        if visit:
            out["visit_id"] = visit["id"]
        print(json.dumps(out, indent=2))
    else:
        print(format_summary(result))
        if saved:
            print(f"Pose sequence saved to {saved}")
        if visit:
            from scoliscreen.core.store import Store

            print(f"Recorded as visit {visit['id']} in {Store.default_path()}")
    if save_error is not None:
        raise save_error
    if not result.quality.usable:
        first = result.quality.refusals[0].message
        raise RecordingUnusable(f"the recording is not usable: {first}", result.quality)
    return 0
