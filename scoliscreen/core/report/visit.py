"""One visit's PDF report: who, when, how good the recording was, the verdict in plain words,
the Cobb estimate, a key frame with the skeleton (faces blurred), the knowledge map and the
model's region weights with legends and units, the clinical text, notes, measurements and the
model's provenance. Input = ``Store.open_visit()``'s dict, so a report never needs the GUI."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from scoliscreen.core.outcome_words import (HEADLINES, INCONCLUSIVE, INCONCLUSIVE_ADVICE, RE_RECORD, RE_RECORD_ADVICE,
                                            cobb_words, setting_words, split_reasons, verdict_of)
from scoliscreen.core.report import images
from scoliscreen.core.report.pdf import VERDICT_COLOURS, new_document, save
from scoliscreen.core.store_history import cobb_interval, shipped_model_card


def verdict(analysis: dict) -> str:
    """The verdict word of a stored analysis (``core/outcome_words.verdict_of``): refer, no
    referral, inconclusive, re-record or not screened."""
    return verdict_of(analysis)


VERDICT_WORDS = HEADLINES  # (headline, meaning) of each verdict: one source, core/outcome_words.py


def _pct(p) -> str:
    """A percentage as the app shows it: one decimal below 10 % (the school threshold is ~1.5 %)."""
    if p is None:
        return "–"
    v = 100 * float(p)
    return f"{v:.1f}%" if v < 10 else f"{v:.0f}%"


def no_model_reason(analysis: dict, short: bool = False) -> str | None:
    """Why no model ran on this visit (None when one did): said plainly instead of "Model none";
    ``short`` for the page footer."""
    if analysis.get("screening"):
        return None
    if not (analysis.get("quality") or {}).get("usable", True):
        return ("No model ran (recording refused)" if short
                else "No model ran: the quality check refused the recording (re-record the walk)")
    return "No model ran (model unavailable)" if short else "No model ran: the screening model was not available"


def key_frame_index(analysis: dict, sequence=None) -> int:
    """The frame the model weighted most (centre of its heaviest time window), else the middle
    of the usable walking; an index into the pose sequence / video."""
    screening = analysis.get("screening") or {}
    weights, times = screening.get("window_weights") or [], screening.get("window_times_s") or []
    fps = float((analysis.get("source") or {}).get("fps") or analysis.get("fps") or 30.0)
    if weights and len(weights) == len(times):
        t = float(times[int(np.argmax(weights))])
        if sequence is not None and len(sequence):
            return int(np.argmin(np.abs(sequence.timestamps_ms - sequence.timestamps_ms[0] - 1000 * t)))
        return int(round(t * fps))
    seg = (analysis.get("quality") or {}).get("segment")
    if seg:
        return int((seg[0] + seg[1]) // 2)
    n = len(sequence) if sequence is not None else int(analysis.get("frames") or 1)
    return n // 2


def _key_frame(data: dict, video: Path | None, blur: bool) -> tuple[bytes | None, int, str]:
    seq, analysis = data.get("sequence"), data["analysis"]
    index = key_frame_index(analysis, seq)
    if seq is not None:
        index = min(index, len(seq) - 1)
        found = np.flatnonzero(seq.detected)
        if len(found):  # the nearest frame where the child was found (to draw and to blur)
            index = int(found[np.argmin(np.abs(found - index))])
    frame, note = None, ""
    if blur and seq is None:
        return None, index, "no pose sequence stored: no frame shown, as the face could not be blurred"
    if video is not None and video.suffix.lower() != ".npz":
        try:
            from scoliscreen.core.video import open_source

            with open_source(str(video)) as src:
                frame = src.read_at(index).image
        except Exception as exc:  # noqa: BLE001 - a moved, truncated or unreadable video: the skeleton alone
            note = f"video frame not available ({type(exc).__name__})"
    elif seq is not None:
        note = "no video stored: skeleton only"
    pts = seq.landmarks[index] if seq is not None else None
    if frame is None and pts is None:
        return None, index, "no video and no pose sequence stored for this visit"
    size = seq.image_size if seq is not None else (640, 480)
    return images.key_frame_jpeg(frame, pts, image_size=size, blur=blur), index, note


def _knowledge_map(data: dict):
    """The per-window map recomputed from the stored pose sequence (the record keeps only the
    clip medians); None without a sequence."""
    seq = data.get("sequence")
    if seq is None or not (data["analysis"].get("quality") or {}).get("usable"):
        return None
    from scoliscreen.core.kinematics import compute_knowledge_map
    from scoliscreen.core.quality import assess_quality

    filtered = assess_quality(seq).sequence
    return compute_knowledge_map(filtered) if filtered is not None else None


def _section_result(pdf, data: dict) -> None:
    a = data["analysis"]
    s = a.get("screening") or {}
    word = verdict(a)
    colour = VERDICT_COLOURS[word]
    pdf.heading("Result")
    y = pdf.get_y()
    pdf.set_draw_color(*colour)
    pdf.set_line_width(0.8)
    headline, words = VERDICT_WORDS[word]
    rerec, inconc = split_reasons(s.get("reasons") or [])
    if word == RE_RECORD and rerec:  # the model's own recording reasons (the gate's are listed below)
        words = ("The recording cannot be screened as it is: " + "; ".join(rerec) + ". " + RE_RECORD_ADVICE)
    elif word == INCONCLUSIVE:
        words = ("The recording is good, but the model cannot call this child: " + "; ".join(inconc or ["-"])
                 + ". " + INCONCLUSIVE_ADVICE)
    pdf.para(headline, size=15, bold=True, colour=colour, h=7.5)
    pdf.para(words, size=10.5, bold=True, colour=colour, h=5)
    pdf.set_line_width(0.2)
    pdf.line(pdf.l_margin - 2, y, pdf.l_margin - 2, pdf.get_y())
    pdf.ln(1)
    if s and word in ("refer", "no referral"):
        pdf.para(f"The model estimates a {_pct(s.get('probability'))} chance that this child's Cobb angle is 10° "
                 "or more. The referral threshold was set low on purpose so that few children with a curve are "
                 "missed, so many referred children will turn out to have none. "
                 + setting_words(s.get("referral_setting")))
        low, high = cobb_interval(s)
        pdf.para(cobb_words(s.get("label"), s.get("cobb_estimate"),
                            [low, high] if low is not None else None, s.get("severity_band")) + ".")
    elif a.get("screening_error"):
        pdf.para(str(a["screening_error"]))


def _section_quality(pdf, a: dict) -> None:
    q = a.get("quality") or {}
    st = q.get("stats") or {}
    pdf.heading("Recording quality")
    rows = [("Verdict", str(q.get("verdict", "?")).capitalize()),
            ("Child found in", f"{_pct(st.get('detection_rate'))} of {st.get('frames', '?')} frames"),
            ("Whole body in view", _pct(st.get("full_body_rate"))),
            ("Usable walking", "?" if st.get("usable_walking_s") is None else f"{st['usable_walking_s']:.1f} s"),
            ("Camera view", str(q.get("view", "?")))]
    who = _followed(a.get("tracking") or {})
    if who:
        rows.append(("Person followed", who))
    pdf.pairs(rows)
    for r in q.get("reasons") or []:
        tag = "Refused" if r.get("level") == "refuse" else "Warning"
        pdf.para(f"• {tag}: {r.get('message', '')}", size=9, colour=(90, 60, 0))


def _followed(t: dict) -> str:
    """Whom the skeleton followed, when that was a choice: several people seen or a subject chosen."""
    subject, people = str(t.get("subject") or "auto"), int(t.get("people_seen") or 0)
    if subject == "auto" and people < 2:
        return ""
    track = t.get("followed_track") or "nobody"
    asked = "the person who walks" if subject == "auto" else f"the person chosen ({subject})"
    return f"{asked}: track {track} of {people} people seen"


def _section_pictures(pdf, data: dict, video: Path | None, blur: bool) -> None:
    from scoliscreen.core.landmarks import REGION_NAMES

    a = data["analysis"]
    png, index, note = _key_frame(data, video, blur)
    weights = (a.get("screening") or {}).get("region_weights") or {}
    if png is None and not weights:
        return
    pdf.heading("Key frame and where the model looked" if weights else "Key frame")
    if png is None and note:
        pdf.para(f"Key frame: {note}.", size=8.5, colour=(80, 80, 80))
    top = pdf.get_y()
    if pdf.h - 20 - top < 85:
        pdf.add_page()
        top = pdf.get_y()
    img_w = 0.0
    if png is not None:
        info = pdf.png(png, x=pdf.l_margin, y=top, h=80)
        img_w = info.rendered_width
        pdf.set_xy(pdf.l_margin, top + 81)
        fps = float((a.get("source") or {}).get("fps") or 30.0)
        why = no_model_reason(a)
        caption = (f"Frame {index} ({index / fps:.1f} s), " + ("the moment the model weighted most." if why is None
                   else f"from the middle of the walk. {why}."))
        caption += " Faces blurred." if blur else ""
        caption += " Orange = the child's left side, cyan = right." + (f" ({note})" if note else "")
        pdf.font(7.5, colour=(80, 80, 80))
        pdf.multi_cell(img_w + 2, 3.4, pdf.text_(caption), new_x="LMARGIN", new_y="NEXT", align="L")
    bottom = pdf.get_y()
    if weights:
        x0 = pdf.l_margin + img_w + 6
        width = pdf.w - pdf.r_margin - x0
        pdf.set_xy(x0, top)
        pdf.font(9, bold=True)
        pdf.multi_cell(width, 4.5, pdf.text_("Model attention by body region (share of the total, %)"),
                       new_x="LEFT", new_y="NEXT", align="L")
        label_w, bar_max = 30, width - 30 - 12
        biggest = max(weights.values()) or 1.0
        for rid, name in REGION_NAMES.items():
            w = float(weights.get(rid, 0.0))
            y = pdf.get_y() + 1
            pdf.set_xy(x0, y)
            pdf.font(8.5)
            pdf.cell(label_w, 5, pdf.text_(name))
            pdf.set_fill_color(70, 110, 170)
            pdf.rect(x0 + label_w, y + 0.8, max(0.3, bar_max * w / biggest), 3.4, style="F")
            pdf.set_xy(x0 + label_w + bar_max * w / biggest + 1, y)
            pdf.cell(12, 5, f"{100 * w:.0f}%")
            pdf.set_xy(x0, y + 5)
        pdf.font(7.5, colour=(80, 80, 80))
        pdf.multi_cell(width, 3.4, pdf.text_(
            "Bars sum to 100%. They show which parts of the body the model relied on, not where a curve is."),
            new_x="LEFT", new_y="NEXT", align="L")
        bottom = max(bottom, pdf.get_y())
    pdf.set_xy(pdf.l_margin, bottom + 2)


def _section_map(pdf, data: dict) -> None:
    km = _knowledge_map(data)
    if km is None:
        return
    pdf.add_page()
    pdf.heading("Kinematic knowledge map")
    pdf.para("Each row is one gait measure, grouped by body region; each column is a 0.5 s window of the walk. "
             "The colour shows how far the measure lies outside its normal range.", size=9)
    order, groups = images.region_order(km.features)
    dev = images.deviation(km.values, km.features)[:, order]
    label_w, top = 32, pdf.get_y() + 2
    width = pdf.w - pdf.l_margin - pdf.r_margin - label_w
    height = min(150.0, pdf.h - top - 60)
    pdf.png(images.heatmap_png(dev, groups), x=pdf.l_margin + label_w, y=top, w=width, h=height)
    from scoliscreen.core.landmarks import REGION_NAMES

    n = dev.shape[1]
    for rid, start, stop in groups:  # region labels beside their rows
        pdf.set_xy(pdf.l_margin, top + height * (start + stop) / 2 / n - 2)
        pdf.font(8)
        pdf.cell(label_w - 2, 4, pdf.text_(f"{REGION_NAMES[rid]} ({stop - start})"), align="R")
    times = km.window_times_s
    pdf.font(7.5, colour=(60, 60, 60))
    for i in sorted({0, len(times) // 2, len(times) - 1}):
        x = pdf.l_margin + label_w + width * (i + 0.5) / len(times)
        pdf.set_xy(x - 8, top + height + 0.5)
        pdf.cell(16, 3.5, f"{times[i]:.1f} s", align="C")
    pdf.set_xy(pdf.l_margin + label_w, top + height + 4)
    pdf.cell(width, 3.5, pdf.text_("time in the clip (centre of each window, seconds)"), align="C")
    y = top + height + 10
    pdf.png(images.colourbar_png(), x=pdf.l_margin + label_w, y=y, w=width, h=4)
    pdf.font(7.5)
    for v in (-3, -2, -1, 0, 1, 2, 3):
        pdf.set_xy(pdf.l_margin + label_w + width * (v + 3) / 6 - 6, y + 4.3)
        pdf.cell(12, 3.5, f"{v:+d}" if v else "0", align="C")
    pdf.set_xy(pdf.l_margin, y + 9)
    pdf.para("Colour scale: distance outside the measure's normal range, in half-widths of that range "
             "(0 = inside the range; +1 = one half-width above it; −1 = one half-width below; clipped at ±3). "
             "Measures without a published range: robust z-score within this clip. Grey = not measurable "
             "in that window (e.g. hidden by the camera view).", size=8, colour=(60, 60, 60))
    _deviation_table(pdf, data["analysis"])


def _plain(description: str) -> str:
    """The catalogue's description without its "Window mean of the" preamble."""
    import re

    text = re.sub(r"^(Window|Clip) (mean|median|[a-z]+) of (the )?", "", description)
    return text[:1].upper() + text[1:]


def _deviation_table(pdf, analysis: dict, limit: int = 10) -> None:
    from scoliscreen.core.kinematics.catalogue import FEATURE_INDEX, FEATURES

    medians = (analysis.get("knowledge_map") or {}).get("medians") or {}
    rows = []
    for name, value in medians.items():
        if value is None or name not in FEATURE_INDEX:
            continue
        f = FEATURES[FEATURE_INDEX[name]]
        if not f.normal_range:
            continue
        lo, hi = f.normal_range
        half = (hi - lo) / 2 or 1.0
        out = (value - hi) / half if value > hi else ((value - lo) / half if value < lo else 0.0)
        if out:
            rows.append((abs(out), f, value, (lo, hi)))
    if not rows:
        return
    rows.sort(key=lambda r: -r[0])
    pdf.heading("Measures furthest outside their normal range (clip median)", size=10)
    if (analysis.get("knowledge_map") or {}).get("view") == "side":
        pdf.para("Side view: sideways tilts of the shoulders, pelvis and trunk are foreshortened from the side "
                 "and are not reliable here.", size=8.5, colour=(150, 90, 0))
    body = [(_plain(f.description), f"{v:.3g} {f.unit}", f"{lo:.3g} to {hi:.3g} {f.unit}",
             f"{d:.1f}") for d, f, v, (lo, hi) in rows[:limit]]
    pdf.ruled_table(["Measure", "This walk", "Normal range", "Outside by"], body, [98, 24, 38, 20],
                    align=["L", "R", "R", "R"])
    pdf.para("“Outside by” is in half-widths of the normal range, as on the colour scale. Units: deg = degrees, "
             "TL = child's trunk lengths, s = seconds, r = correlation (−1 to 1), % = percent.",
             size=7.5, colour=(80, 80, 80))


def _section_text(pdf, data: dict) -> None:
    a = data["analysis"]
    ct = a.get("clinical_text") or {}
    if ct.get("findings") or ct.get("caveats"):
        pdf.heading("Clinical description")
        for line in ct.get("findings") or []:
            pdf.para(f"• {line}", size=9.5)
        for line in ct.get("caveats") or []:
            pdf.para(f"• {line}", size=9, colour=(90, 90, 90))
    notes = data.get("notes") or []
    if notes:
        pdf.heading("Notes")
        for n in notes:
            who = "given with the analysis" if n["kind"] == "analysis" else n["author"]
            pdf.para(f"{n['created_at'][:16].replace('T', ' ')} ({who}): {n['text']}", size=9.5)
    ms = data.get("measurements") or []
    if ms:
        pdf.heading("Measurements on the video")
        rows = [(m["kind"], m.get("label") or "", "" if m["frame_index"] is None else str(m["frame_index"]),
                 f"{m['value']:.1f} {m['unit']}",
                 " – ".join(f"({x:.0f}, {y:.0f})" for x, y in m["points"])) for m in ms]
        pdf.ruled_table(["Tool", "Label", "Frame", "Value", "Points (pixels)"], rows, [20, 40, 16, 24, 80],
                  align=["L", "L", "R", "R", "L"])


def _section_model(pdf, data: dict) -> None:
    a, v = data["analysis"], data["visit"]
    s = a.get("screening") or {}
    version = s.get("model_version") or v.get("model_version")
    pdf.heading("Model and its provenance")
    card = shipped_model_card()
    if card and card.get("model_version") != version:
        card = None
    sha = data.get("model_sha256") or (card or {}).get("weights", {}).get("sha256")
    why = no_model_reason(a)
    if why is not None:  # never "Run on ?" / "Model none": say why no model ran
        pdf.pairs([("Model", why + ".")], key_w=38, size=9)
        return
    rows = [("Model version", version or "unknown"), ("Weights sha256", sha or "unknown"),
            ("Run on", s.get("device") or "not recorded")]
    if card:
        d = card.get("data") or {}
        sim = card.get("trained_on_simulated_only")
        rows.append(("Training data", (
            f"{'simulated gait only (no real patient)' if sim else 'real and/or simulated gait'}: "
            f"{d.get('subjects', '?')} subjects, {d.get('clips', '?')} clips"
            + (f" ({d.get('command')})" if d.get("command") else ""))))
        mt = card.get("metrics_test") or {}
        if mt:
            rows.append(("Held-out results", (
                f"sensitivity {_pct(mt.get('sensitivity'))}, specificity {_pct(mt.get('specificity'))}, "
                f"ROC AUC {mt.get('roc_auc', float('nan')):.2f}, Cobb error {mt.get('cobb_mae', float('nan')):.1f}° "
                f"(n = {mt.get('n', '?')} simulated clips)")))
        rows.append(("Intended use", card.get("intended_use", "")))
    else:
        rows.append(("Training data", "the model card for this version is not on this computer"))
    pdf.pairs(rows, key_w=38, size=9)


def write_visit_report(data: dict, out: str | Path, *, video: str | Path | None = None,
                       blur_faces: bool = True) -> Path:
    """Write the PDF for one visit. ``data`` is ``Store.open_visit()``'s dict (``visit``,
    ``patient``, ``analysis``, ``sequence``, ``notes``, ``measurements``); ``video`` is where
    the key frame is read (``Store.video_path``)."""
    v, p, a = data["visit"], data.get("patient") or {}, data["analysis"]
    version = (a.get("screening") or {}).get("model_version") or v.get("model_version") or "none"
    pdf = new_document(f"Gait screening report, visit {v['id']}", version)
    pdf.model_line = no_model_reason(a, short=True)  # the footer says it instead of "Model none"
    pdf.font(16, bold=True, colour=(20, 40, 80))
    pdf.cell(0, 9, pdf.text_("Gait screening report"), new_x="LMARGIN", new_y="NEXT")
    age = v.get("age")
    born = f" (born {p['birth_year']})" if p.get("birth_year") else ""
    rows = [("Patient", p.get("pseudonym") or "not filed under a patient (quick analysis)"),
            ("Age at visit", (f"about {math.floor(age + 0.5)} years{born}" if age is not None else "not recorded")),
            ("Visit date", (v.get("visited_at") or "")[:10] + f"  (visit {v['id']})")]
    if p.get("sex") and p["sex"] != "X":
        rows.append(("Sex", {"F": "female", "M": "male"}[p["sex"]]))
    if p.get("school") or p.get("school_class"):
        rows.append(("School / class", " / ".join(x for x in (p.get("school"), p.get("school_class")) if x)))
    src = v.get("video") or (a.get("source") or {}).get("description")
    rows.append(("Recording", f"{Path(src).name if src else '?'}, {a.get('duration_s', '?')} s at "
                              f"{(a.get('source') or {}).get('fps', '?')} fps"))
    pdf.pairs(rows)
    _section_result(pdf, data)
    _section_quality(pdf, a)
    _section_pictures(pdf, data, Path(video) if video else None, blur_faces)
    from scoliscreen.core.report.norms_section import section_norms

    section_norms(pdf, a)  # the plain summary a parent can read, before the heat map
    _section_map(pdf, data)
    _section_text(pdf, data)
    _section_model(pdf, data)
    return save(pdf, out)
