"""Where the test-retest noise of the screening model comes from (issue 9), on world A.

A world-A re-recording (``test_retest.py``: same view, 30 fps then 25 or 60 fps) re-draws from
separate streams (``world_a.clip_streams``, ``params.sample_clip_params``) the recording setup
(fps, resolution, duration, camera, the child's day-to-day variation, estimator levels), the
body-motion stream (gait phase, sway phases, step width, toe-out, arm abduction, head yaw) and
the pose-estimator noise stream (jitter, dips, dropouts, visibility).

**Part 1**: per subject a reference clip A (clip 1 of ``test_retest.py``) and, per factor, a clip
B differing from A in ONLY that factor (A's ``ClipParams`` with that factor's fields from clip
2's setup; A's motion / noise streams unless the factor re-draws them; "identical" = the same
clip twice; ``*_clean``: both clips with a noise-free estimator; ``full`` = ``test_retest.py``'s
pair, bit for bit). Per factor: SD / mean of the pair difference of the calibrated logit, median
|delta p|, label agreement (three labels), binary agreement of the model and of three simple
scorers at their own operating points, ``km var%`` (median over features of the within-pair
variance of the knowledge map's clip medians, % of the between-subject variance) and the
features it moves most. **Part 2**: on full re-recordings (and noise-only pairs), ICC and
within / between SD of the model's logit and of the scorers (``baselines.AsymmetryScore``,
side-blind and all-medians ``LogisticModel``, fitted as ``crossworld.py`` does on world-A clips
of ``--train-seed``, simulated in memory), their agreement and accuracy; ICC of every feature.
**Part 3**: the frame rate's mean shift of each feature (between-subject SDs), 25 and 60 fps,
with and without estimator noise. **Part 4** (``--smooth-s``): what if the landmarks were
low-passed in time before the gate and the map (scorers refitted; the model NOT retrained).

    python benchmarks/test_retest_factors.py [--subjects 100] [--seed 4242] [--model DIR] [--smooth-s 0.05]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time

import numpy as np

# key -> (description, ClipParams fields from clip 2, streams from clip 2, estimator variant of both clips:
#        "" as simulated, "clean" noise-free, "jitter" without dips / dropouts, "gaps" without jitter)
_CAM = ("width", "height", "vfov_deg", "near_distance_m", "camera_height_m", "camera_pitch_deg",
        "camera_roll_deg", "lateral_offset_m", "heading_deg")
_DAY = ("speed_factor", "cadence_factor", "arm_swing_factor", "posture_jitter")
_EST = ("noise_rel", "dropout_rate", "dip_rate_hz")
FACTORS: dict[str, tuple[str, tuple[str, ...], tuple[str, ...], str]] = {
    "identical": ("the same clip twice (sanity: 0)", (), (), ""),
    "noise": ("estimator noise realisation (noise stream)", (), ("noise",), ""),
    "est_levels": ("estimator levels: jitter SD, dropout, dip rate", _EST, (), ""),
    "estimator": ("estimator levels + realisation", _EST, ("noise",), ""),
    "motion": ("body-motion stream (phase, sway, step width, toe-out, arm abd., head yaw)", (), ("motion",), ""),
    "day_gait": ("day-to-day speed, cadence, arm swing", _DAY[:3], (), ""),
    "day_posture": ("day-to-day posture jitter of the asymmetries", _DAY[3:], (), ""),
    "day": ("day-to-day: gait + posture", _DAY, (), ""),
    "fps": ("frame rate only (30 -> 25 / 60)", ("fps",), (), ""),
    "duration": ("clip length", ("duration_s",), (), ""),
    "cam_roll": ("camera roll", ("camera_roll_deg",), (), ""),
    "cam_height": ("camera height + pitch error", ("camera_height_m", "camera_pitch_deg"), (), ""),
    "cam_line": ("walking line: lateral offset + heading", ("lateral_offset_m", "heading_deg"), (), ""),
    "cam_framing": ("resolution + field of view + distance", ("width", "height", "vfov_deg", "near_distance_m"),
                    (), ""),
    "camera": ("the whole camera", _CAM, (), ""),
    "full": ("full re-recording (test_retest.py)", ("fps", "duration_s") + _CAM + _DAY + _EST,
             ("motion", "noise"), ""),
    "noise_jitter": ("noise realisation, jitter only (no dips / dropouts)", (), ("noise",), "jitter"),
    "noise_gaps": ("noise realisation, dips / dropouts / visibility only (no jitter)", (), ("noise",), "gaps"),
    "fps_clean": ("frame rate only, noise-free estimator", ("fps",), (), "clean"),
    "motion_clean": ("body-motion stream, noise-free estimator", (), ("motion",), "clean"),
    "day_clean": ("day-to-day gait + posture, noise-free estimator", _DAY, (), "clean"),
    "duration_clean": ("clip length, noise-free estimator", ("duration_s",), (), "clean"),
    "full_clean": ("full re-recording, noise-free estimator", ("fps", "duration_s") + _CAM + _DAY,
                   ("motion", "noise"), "clean"),
}
SWAP_FACTORS = ("noise", "motion", "fps", "full")  # factors whose inputs are swapped one at a time


# ---- pure statistics ---------------------------------------------------------------------------

def icc_pairs(x1: np.ndarray, x2: np.ndarray) -> float:
    """One-way random-effects ICC(1) of paired measurements (two clips per subject); pairs with a
    NaN are dropped. NaN when fewer than 3 pairs or no variance at all."""
    x1, x2 = np.asarray(x1, np.float64), np.asarray(x2, np.float64)
    ok = np.isfinite(x1) & np.isfinite(x2)
    x1, x2 = x1[ok], x2[ok]
    if len(x1) < 3:
        return float("nan")
    msb = 2.0 * np.var((x1 + x2) / 2.0, ddof=1)
    msw = float(np.mean((x1 - x2) ** 2) / 2.0)
    return float((msb - msw) / (msb + msw)) if msb + msw > 0 else float("nan")


def within_between_sd(x1: np.ndarray, x2: np.ndarray) -> tuple[float, float]:
    """(within-subject SD, between-subject SD) of paired measurements (one-way ANOVA estimates)."""
    x1, x2 = np.asarray(x1, np.float64), np.asarray(x2, np.float64)
    msw = float(np.mean((x1 - x2) ** 2) / 2.0)
    msb = 2.0 * float(np.var((x1 + x2) / 2.0, ddof=1))
    return float(np.sqrt(msw)), float(np.sqrt(max((msb - msw) / 2.0, 0.0)))


def agreement(a, b) -> float:
    a, b = np.asarray(a), np.asarray(b)
    return float((a == b).mean()) if len(a) else float("nan")


# ---- clips ---------------------------------------------------------------------------------------

def clip_streams_of(subject_seed: int, k: int) -> tuple[np.random.Generator, ...]:
    """Fresh (setup, motion, noise) generators of clip ``k`` of a subject, exactly the streams
    ``simulate_clip(subject, subject_plan(...)[1][k][1])`` draws from (``generate.subject_plan``)."""
    from scoliscreen.core.sim.world_a import clip_streams

    children = np.random.SeedSequence(int(subject_seed)).spawn(2 + 2)
    return clip_streams(np.random.default_rng(children[2 + k]))


def film_clip(subject, clip, subject_seed: int, motion_k: int, noise_k: int):
    """PoseSequence of ``subject`` filmed with ``clip`` (ClipParams), the body-motion stream of
    clip ``motion_k`` and the estimator-noise stream of clip ``noise_k``."""
    from scoliscreen.core.sequence import PoseSequence
    from scoliscreen.core.sim.world_a import film

    motion = clip_streams_of(subject_seed, motion_k)[1]
    noise = clip_streams_of(subject_seed, noise_k)[2]
    t, lm = film(subject, clip, motion, noise)
    meta = {"view": clip.view, "simulated": True, "subject_id": subject.subject_id}
    return PoseSequence(lm, clip.fps, (clip.width, clip.height), t * 1000.0, meta)


def estimator_variant(clip, variant: str):
    """``clip`` with the estimator's jitter ("gaps"), dips and dropouts ("jitter") or all three
    ("clean") switched off; "" leaves it as simulated."""
    off = {"": (), "clean": _EST, "jitter": _EST[1:], "gaps": _EST[:1]}[variant]
    return dataclasses.replace(clip, **{f: 0.0 for f in off})


def walk_medians(seq) -> tuple[np.ndarray, object, object]:
    """(clip medians [F] of the knowledge map over the walk the model screens, gated sequence,
    window pairs for ``Screener.predict``): the app's path (quality gate, ``walk_windows``)."""
    import warnings

    from scoliscreen.core.model.pooling import walk_inputs
    from scoliscreen.core.quality import assess_quality

    q = assess_quality(seq)
    _, km, pairs = walk_inputs(q.sequence, q.segment)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        med = np.nanmedian(np.asarray(km.values, np.float64), axis=0)
    return med, q, pairs


def smoothed(seq, sigma_s: float):
    """What-if of a fix: the landmarks (x, y, z) low-passed in time by a Gaussian of ``sigma_s``
    seconds (NaN-aware; missing frames stay missing), before the quality gate and the map."""
    from scipy.ndimage import convolve1d

    if sigma_s <= 0:
        return seq
    sigma = sigma_s * seq.fps
    r = max(1, int(np.ceil(3 * sigma)))
    k = np.exp(-0.5 * (np.arange(-r, r + 1) / sigma) ** 2)
    x = seq.landmarks[..., :3].astype(np.float64)
    ok = np.isfinite(x).all(-1)
    num = convolve1d(np.where(ok[..., None], x, 0.0), k, axis=0, mode="constant")
    den = convolve1d(ok.astype(np.float64), k, axis=0, mode="constant")
    lm = seq.landmarks.copy()
    with np.errstate(all="ignore"):
        lm[..., :3] = np.where(ok[..., None], num / den[..., None], np.nan)
    return dataclasses.replace(seq, landmarks=lm.astype(np.float32), meta=dict(seq.meta))


def screen(screener, seq, sigma_s: float = 0.0, single: bool = False) -> dict:
    """The app's answer on ``seq`` (walk pooled); ``single``: also the gated sequence and the
    best window's inputs (``clip_pair``) for the input-swap analysis."""
    from scoliscreen.core.model.features import clip_pair

    med, q, pairs = walk_medians(smoothed(seq, sigma_s))
    r = screener.predict(q.sequence, segment=q.segment, explain=False, pairs=pairs)
    out = {"label": r.label, "p": r.probability, "cal": float(screener.decision.calibrated(r.extras["logit"])),
           "med": med, "usable": bool(q.usable)}
    if single:
        out.update(q=q, pair=clip_pair(q.sequence, "", q.segment))
    return out


def swapped(screener, a: dict, b: dict) -> dict:
    """Calibrated logits of one window (the best 96 frames) of clip B with, from clip A, nothing,
    the knowledge map + text ("video_B": only B's skeleton maps), the skeleton maps ("map_B": B's
    map + text), those and the text ("km_only_B") or those and the map ("text_only_B"); and of A."""
    def logit(pair):
        r = screener.predict(b["q"].sequence, explain=False, pair=pair)
        return float(screener.decision.calibrated(r.extras["logit"]))

    def mix(base, km_of, text_of):  # each half of the (clip, mirror) pair: points of base, map and text as given
        return tuple(dataclasses.replace(p, km=k.km, text=t.text)
                     for p, k, t in zip(base["pair"], km_of["pair"], text_of["pair"]))

    ta, tb = a["pair"][0].text, b["pair"][0].text
    return {"A": logit(a["pair"]), "B": logit(b["pair"]), "video_B": logit(mix(b, a, a)),
            "map_B": logit(mix(a, b, b)), "km_only_B": logit(mix(a, b, a)), "text_only_B": logit(mix(a, a, b)),
            "text_differs": ta != tb, "statements_differ": _statements(ta) != _statements(tb)}


def _statements(text: str) -> set:
    """The clinical text's sentences with their numbers blanked: which findings are stated."""
    import re

    return {re.sub(r"[0-9.]+", "#", x).split("#")[0] for x in text.split(". ") if x}


# ---- simple scorers --------------------------------------------------------------------------------

def fit_scorers(train_seed: int, subjects: int, sigma_s: float = 0.0) -> dict:
    """AsymmetryScore, side-blind LR and LR on all clip medians fitted on world-A clips of ``train_seed`` (3/4 of the
    subjects train, 1/4 validation: L2 choice, Platt and the operating point, as crossworld)."""
    from scoliscreen.core.constants import POSITIVE_COBB
    from scoliscreen.core.model.baselines import (
        AsymmetryScore, LogisticModel, asymmetry_magnitudes, clip_medians, sign_invariant,
    )
    from scoliscreen.core.model.crossworld import operating_point
    from scoliscreen.core.sim.generate import _subject_seeds, simulate_clip, subject_id, subject_plan

    meds, ys, val = [], [], []
    for i, s in enumerate(_subject_seeds(train_seed, subjects), start=1):
        subject, plan = subject_plan(s, subject_id(train_seed, i), 2)
        for view, rng in plan:
            meds.append(walk_medians(smoothed(simulate_clip(subject, rng, view=view), sigma_s))[0])
            ys.append(subject.cobb_angle >= POSITIVE_COBB)
            val.append(i % 4 == 0)
    med, y, va = np.array(meds)[:, None, :], np.array(ys), np.array(val)
    tr = ~va
    out = {}
    xa = asymmetry_magnitudes(med)
    prior = AsymmetryScore.fit(xa[tr])
    xs, xm = sign_invariant(med), clip_medians(med)
    lr = LogisticModel.fit_selected(xs[tr], y[tr], xs[va], y[va])
    lrm = LogisticModel.fit_selected(xm[tr], y[tr], xm[va], y[va])
    for key, feats, score in (("asym_score", asymmetry_magnitudes, prior.score),
                              ("lr_side_blind", sign_invariant, lr.score), ("lr_medians", clip_medians, lrm.score)):
        x = feats(med)
        a, b, thr = operating_point(score(x[va]), y[va])
        out[key] = {"feats": feats, "score": score, "a": a, "b": b, "thr": float(thr)}
    out["_clips"] = int(len(y))
    return out


def scorer_output(sc: dict, med: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(raw scores, binary labels at the scorer's operating point) of clip medians [N, F]."""
    s = sc["score"](sc["feats"](med[:, None, :]))
    p = 1.0 / (1.0 + np.exp(-(sc["a"] * s + sc["b"])))
    return s, p >= sc["thr"]


# ---- experiment --------------------------------------------------------------------------------------

def run(args) -> dict:
    from scoliscreen.core.model.predict import Screener
    from scoliscreen.core.sim.generate import _subject_seeds, simulate_clip, subject_id, subject_plan
    from scoliscreen.core.sim.params import sample_clip_params

    t0 = time.perf_counter()
    screener = Screener.load(args.model, device="cpu")
    thr = screener.decision.threshold_logit
    scorers = fit_scorers(args.train_seed, args.train_subjects)
    sig = args.smooth_s
    scorers_s = fit_scorers(args.train_seed, args.train_subjects, sig) if sig > 0 else None
    t_fit = time.perf_counter() - t0
    rows = []
    for i, s in enumerate(_subject_seeds(args.seed, args.subjects), start=1):
        subject, plan = subject_plan(s, subject_id(args.seed, i), 2)
        view = plan[0][0]
        fps2 = 25.0 if i % 2 else 60.0
        c1 = sample_clip_params(clip_streams_of(s, 0)[0], subject, view=view, fps=30.0)
        c2 = sample_clip_params(clip_streams_of(s, 1)[0], subject, view=view, fps=fps2)
        if i == 1:  # the reconstruction is test_retest.py's clip pair, bit for bit
            for k, fps in ((0, 30.0), (1, fps2)):
                ref = simulate_clip(subject, plan[k][1], view=view, fps=fps).landmarks
                mine = film_clip(subject, (c1, c2)[k], s, k, k).landmarks
                assert np.array_equal(ref, mine, equal_nan=True), "clip reconstruction differs from simulate_clip"
        seq_a = film_clip(subject, c1, s, 0, 0)
        row: dict = {"truth": int(subject.label), "fps2": fps2, "A": screen(screener, seq_a, single=True)}
        for v in ("clean", "jitter", "gaps"):
            row[f"A_{v}"] = screen(screener, film_clip(subject, estimator_variant(c1, v), s, 0, 0))
        for key, (_, fields, streams, variant) in FACTORS.items():
            clip = estimator_variant(dataclasses.replace(c1, **{f: getattr(c2, f) for f in fields}), variant)
            seq = film_clip(subject, clip, s, int("motion" in streams), int("noise" in streams))
            row[key] = screen(screener, seq, single=key in SWAP_FACTORS)
            if key in SWAP_FACTORS:
                row[key + "_swap"] = swapped(screener, row["A"], row[key])
            if sig > 0 and key in ("noise", "full"):
                row[key + "_smooth"] = screen(screener, seq, sig)
        if sig > 0:
            row["A_smooth"] = screen(screener, seq_a, sig)
        rows.append(row)
    res = summarise(rows, scorers, thr, screener, time.perf_counter() - t0, t_fit)
    if scorers_s is not None:
        res["what_if_smoothing"] = {"sigma_s": sig, **{
            k: repeatability(rows, "A_smooth", f"{k}_smooth", scorers_s, thr) for k in ("noise", "full")}}
    return res


def summarise(rows: list[dict], scorers: dict, thr: float, screener, seconds: float, t_fit: float) -> dict:
    from scoliscreen.core.kinematics import FEATURE_NAMES

    names = [k for k in scorers if not k.startswith("_")]
    truth = np.array([r["truth"] for r in rows], bool)
    med_a = np.array([r["A"]["med"] for r in rows])
    with np.errstate(all="ignore"):
        between_var = np.nanvar(med_a, axis=0, ddof=1)
    between_var = np.where(between_var > 1e-12, between_var, np.nan)  # constant features: no scale
    factors = {}
    for key, (desc, *_rest) in FACTORS.items():
        ref = f"A_{FACTORS[key][3]}" if FACTORS[key][3] else "A"
        a = [r[ref] for r in rows]
        b = [r[key] for r in rows]
        d = np.array([y["cal"] - x["cal"] for x, y in zip(a, b)])
        ma, mb = np.array([x["med"] for x in a]), np.array([y["med"] for y in b])
        f = {"what": desc, "sd_delta_logit": float(np.std(d, ddof=1)), "mean_delta_logit": float(d.mean()),
             "median_abs_delta_p": float(np.median([abs(y["p"] - x["p"]) for x, y in zip(a, b)])),
             "label_agreement": agreement([x["label"] for x in a], [y["label"] for y in b]),
             "binary_agreement_model": agreement([x["cal"] >= thr for x in a], [y["cal"] >= thr for y in b]),
             "gate_refused": int(sum(not y["usable"] for y in b))}
        with np.errstate(all="ignore"):  # within-pair variance of each feature, % of between-subject
            share = 100.0 * np.nanmean((ma - mb) ** 2, axis=0) / 2.0 / between_var
        f["km_within_var_pct"] = float(np.nanmedian(share))
        top = [j for j in np.argsort(-np.nan_to_num(share, nan=-1.0))[:6]]
        f["noisiest_features_var_pct"] = [[FEATURE_NAMES[j], float(share[j])] for j in top]
        for n in names:
            f[f"binary_agreement_{n}"] = agreement(scorer_output(scorers[n], ma)[1], scorer_output(scorers[n], mb)[1])
        if key.startswith("fps"):
            fps2 = np.array([r["fps2"] for r in rows])
            f["by_fps"] = {str(int(v)): {"mean_delta_logit": float(d[fps2 == v].mean()),
                                         "sd_delta_logit": float(np.std(d[fps2 == v], ddof=1))}
                           for v in (25.0, 60.0)}
        factors[key] = f

    inputs, feature_icc = repeatability(rows, "A", "full", scorers, thr)
    inputs["model_logit"]["label_agreement"] = factors["full"]["label_agreement"]

    # part 3: the frame rate's systematic shift per feature (in between-subject SDs)
    fps2 = np.array([r["fps2"] for r in rows])
    shifts = {}
    for key, ref in (("fps", "A"), ("fps_clean", "A_clean")):
        ma, mb = np.array([r[ref]["med"] for r in rows]), np.array([r[key]["med"] for r in rows])
        for v in (25.0, 60.0):
            sel = fps2 == v
            with np.errstate(all="ignore"):
                z = np.nanmean(mb[sel] - ma[sel], axis=0) / np.sqrt(between_var)
            top = [j for j in np.argsort(-np.abs(np.nan_to_num(z)))[:8]]
            shifts[f"{key}_{int(v)}"] = [[FEATURE_NAMES[j], float(z[j])] for j in top]
    return {"model_version": screener.model_version, "threshold_logit": thr,
            "subjects": len(rows), "positives": int(truth.sum()), "scorer_train_clips": scorers["_clips"],
            "factors": factors, "inputs_full_rerecording": inputs, "feature_icc_full": feature_icc,
            "noise_only": repeatability(rows, "A", "noise", scorers, thr),
            "input_swap": {k: swap_summary([r[k + "_swap"] for r in rows]) for k in SWAP_FACTORS},
            "fps_feature_shift_sd": shifts, "seconds": round(seconds, 1), "seconds_fit_scorers": round(t_fit, 1)}


def swap_summary(sw: list[dict]) -> dict:
    """SD of the logit change from A when B's whole window, its skeleton maps only or its map +
    text only are used (single window)."""
    a = np.array([x["A"] for x in sw])
    out = {k: float(np.std(np.array([x[k] for x in sw]) - a, ddof=1)) for k in sw[0] if k.endswith("B")}
    return {**out, **{k: float(np.mean([x[k] for x in sw])) for k in ("text_differs", "statements_differ")}}


def repeatability(rows: list[dict], ka: str, kb: str, scorers: dict, thr: float) -> tuple[dict, dict]:
    """Clip pairs (rows' ``ka``, ``kb``): ICC, within / between SD, binary agreement, accuracy of
    the model's calibrated logit and of each scorer; ICC of every feature's clip median."""
    from scoliscreen.core.kinematics import FEATURE_NAMES
    from scoliscreen.core.model.train import roc_auc

    truth = np.array([r["truth"] for r in rows], bool)
    y2 = np.concatenate([truth, truth])
    m1, m2 = np.array([r[ka]["med"] for r in rows]), np.array([r[kb]["med"] for r in rows])
    c1, c2 = np.array([r[ka]["cal"] for r in rows]), np.array([r[kb]["cal"] for r in rows])
    scores = {"model_logit": (c1, c1 >= thr, c2, c2 >= thr)}
    for n in (k for k in scorers if not k.startswith("_")):
        scores[n] = (*scorer_output(scorers[n], m1), *scorer_output(scorers[n], m2))
    out = {}
    for n, (s1, p1, s2, p2) in scores.items():
        w, bsd = within_between_sd(s1, s2)
        out[n] = {"icc": icc_pairs(s1, s2), "sd_within": w, "sd_between": bsd, "binary_agreement": agreement(p1, p2),
                  **_accuracy(y2, np.concatenate([s1, s2]), np.concatenate([p1, p2]), roc_auc)}
    icc = np.array([icc_pairs(m1[:, j], m2[:, j]) for j in range(m1.shape[1])])
    order = [j for j in np.argsort(icc) if np.isfinite(icc[j])]
    fin = icc[np.isfinite(icc)]
    feature_icc = {"quantiles": {q: float(np.percentile(fin, q)) for q in (0, 10, 25, 50, 75, 90, 100)},
                   "below_0.5": int((fin < 0.5).sum()), "below_0.75": int((fin < 0.75).sum()), "n": int(len(fin)),
                   "worst": [[FEATURE_NAMES[j], float(icc[j])] for j in order[:15]]}
    return out, feature_icc


def _accuracy(y, score, pred, roc_auc) -> dict:
    y, pred = np.asarray(y, bool), np.asarray(pred, bool)
    return {"accuracy": float((y == pred).mean()), "sensitivity": float((pred & y).sum() / max(y.sum(), 1)),
            "specificity": float((~pred & ~y).sum() / max((~y).sum(), 1)), "auc": float(roc_auc(y, score))}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--subjects", type=int, default=100)
    ap.add_argument("--seed", type=int, default=4242, help="test subjects (never a training seed)")
    ap.add_argument("--model", default=None)
    ap.add_argument("--train-seed", type=int, default=77, help="world-A seed the simple scorers are fitted on")
    ap.add_argument("--train-subjects", type=int, default=200)
    ap.add_argument("--smooth-s", type=float, default=0.0,
                    help="also the what-if of landmarks low-passed by this Gaussian sigma (s), e.g. 0.04")
    ap.add_argument("--out", default=None, help="write the result JSON here")
    args = ap.parse_args()
    if args.subjects < 4 or args.train_subjects < 8:
        ap.error("--subjects must be >= 4 and --train-subjects >= 8")
    if args.train_seed == args.seed:
        ap.error("--train-seed must differ from --seed")
    res = run(args)
    from retest_factors_table import print_table  # beside this script (benchmarks/)

    print_table(res)
    if args.out:
        with open(args.out, "w") as fh:
            json.dump(res, fh, indent=1)


if __name__ == "__main__":
    main()
