"""Screening inference: :class:`Screener` (load once, predict per clip).

    screener = Screener.load()                 # shipped weights, sha256 checked
    result = screener.predict(seq, notes="")   # -> ScreeningResult

Test-time symmetrisation: the clip and its mirror image go through the network together and
their outputs are averaged, so a horizontally flipped video gets the same result. One
distributional head gives every number of the answer (``outcome.py``): the probability
P(Cobb >= 10°) (Platt-calibrated, shown at the setting's prevalence), the band probabilities,
the Cobb median and its 80 % interval. The label is positive / negative at the card's
operating point, or re-record / inconclusive with ``reasons`` (``decision.py``, ``core/outcome_words.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from scoliscreen.core.constants import HOP_FRAMES, TARGET_FPS
from scoliscreen.core.landmarks import REGION_IDS
from scoliscreen.core.sequence import PoseSequence

if TYPE_CHECKING:
    from scoliscreen.core.model.features import ClipInputs


@dataclass
class ScreeningResult:
    probability: float  # calibrated P(Cobb >= 10 deg) at the setting's prevalence
    label: str  # core/outcome_words.LABELS: positive / negative at the operating point, re-record, inconclusive
    threshold: float  # refer when probability >= threshold
    cobb_estimate: float  # degrees: the median of the Cobb distribution
    severity_band: str  # "<10", "10-25", "25-40", ">=40": the band of the median
    region_weights: dict  # {region_id: weight}, sums to 1
    window_weights: list  # [W], sums to 1
    region_window_weights: list  # [R][W], sums to 1
    window_times_s: list  # [W] centre of each window in the clip (s)
    model_version: str
    device: str
    segment_s: tuple = (0.0, 0.0)  # the 96-frame segment used (start, stop) in s
    severity_probabilities: dict = field(default_factory=dict)  # {band: p}, sums to 1
    cobb_interval: tuple = (0.0, 0.0)  # 80 % interval of the Cobb angle (deg)
    reasons: list = field(default_factory=list)  # [{code, message}] why no verdict; [] otherwise
    referral_setting: dict = field(default_factory=dict)  # decision.referral_setting: referred / with curve per 1,000
    windows_s: list = field(default_factory=list)  # [(start, stop)] s: the 96-frame windows pooled
    extras: dict = field(default_factory=dict)
    model_provenance: dict = field(default_factory=dict)  # is_shipped, weights_sha256 (core/model/provenance.py)

    def to_dict(self) -> dict:
        return {
            "probability": round(self.probability, 6), "label": self.label,
            "threshold": round(self.threshold, 6), "cobb_estimate": round(self.cobb_estimate, 1),
            "severity_band": self.severity_band,
            "cobb_interval": [round(v, 1) for v in self.cobb_interval],
            "severity_probabilities": _rounded_bands(self.severity_probabilities, round(self.probability, 6)),
            "reasons": [dict(r) for r in self.reasons],
            "region_weights": {k: round(v, 4) for k, v in self.region_weights.items()},
            "window_weights": [round(v, 4) for v in self.window_weights],
            "region_window_weights": [[round(v, 4) for v in row] for row in self.region_window_weights],
            "window_times_s": [round(v, 3) for v in self.window_times_s],
            "segment_s": [round(v, 3) for v in self.segment_s],
            "windows_s": [[round(v, 3) for v in w] for w in self.windows_s],
            "model_version": self.model_version, "device": self.device,
            "model_provenance": dict(self.model_provenance),
        } | ({"referral_setting": dict(self.referral_setting)} if self.referral_setting else {})


def _rounded_bands(bands: dict, prob: float) -> dict:
    """Band probabilities to 6 decimals, "<10" as exactly 1 - the rounded P(>= 10°)."""
    out = {k: round(v, 6) for k, v in bands.items()}
    if "<10" in out:
        out["<10"] = round(1.0 - prob, 6)
    return out


class Screener:
    """A loaded screening model. Not thread-safe for concurrent ``predict`` calls."""

    def __init__(self, net, card: dict, device: str = "cpu", prevalence: float | None = None):
        from scoliscreen.core.model.decision import Decision

        self.net = net
        self.card = card
        self.device = device
        self.decision = Decision.from_card(card, prevalence)  # calibration, threshold, re-record rule
        self.a, self.b = self.decision.a, self.decision.b
        self.threshold = self.decision.threshold
        from scoliscreen.core.model.decision import referral_setting

        self.referral_setting = referral_setting(card, self.decision.prevalence)
        self.model_version = str(card.get("model_version", "unknown"))
        self.model_provenance = dict(card.get("model_provenance") or {})
        self._text = None

    @classmethod
    def load(cls, model_dir: str | Path | None = None, device: str = "auto",
             prevalence: float | None = None) -> "Screener":
        import torch

        from scoliscreen.core.model.card import load_model
        from scoliscreen.core.device import resolve_device
        from scoliscreen.core.paths import screening_model_dir

        torch.set_num_threads(min(2, torch.get_num_threads()))
        device = resolve_device(device)
        net, card = load_model(model_dir or screening_model_dir(), device)
        return cls(net, card, device, prevalence)

    @property
    def modalities(self) -> tuple:
        return self.net.modalities

    def _encoder(self):
        if self._text is None and "text" in self.modalities:
            from scoliscreen.core.model.text_encoder import TextEncoder

            self._text = TextEncoder.shared()
        return self._text

    def calibrate(self, logit):
        """P(Cobb >= 10°) at the setting's prevalence from the raw 10° logit."""
        return 1.0 / (1.0 + np.exp(-(self.decision.calibrated(logit) + self.decision.shift)))

    def prepare(self, seq: PoseSequence | None, notes: str = "", segment: tuple[int, int] | None = None,
                pair: tuple[ClipInputs, ClipInputs] | None = None):
        """(batch of the clip and its mirror image, ClipInputs of the clip) for the network, one
        window (the best 96 frames). ``pair``: inputs already prepared; ``seq`` is then unused."""
        from scoliscreen.core.model.features import clip_pair

        if pair is None:
            assert seq is not None
            pair = clip_pair(seq, notes, segment)
        return self.prepare_windows([pair]), pair[0]

    def prepare_windows(self, pairs: list[tuple[ClipInputs, ClipInputs]]) -> dict:
        """One batch of N windows: the N clips first, then their N mirror images."""
        import torch

        from scoliscreen.core.model.features import batch_tensors, mirror_maps
        from scoliscreen.core.model.skeleton_maps import render_maps

        a0 = pairs[0][0]
        if a0.km.shape[-1] != self.net.config["n_features"]:
            from scoliscreen.core.errors import ModelIntegrityError

            raise ModelIntegrityError(
                f"the screening model expects {self.net.config['n_features']} knowledge-map features but this "
                f"install computes {a0.km.shape[-1]}; retrain the model for this feature catalogue"
            )
        enc = self._encoder()
        views = [p[0] for p in pairs] + [p[1] for p in pairs]
        if enc is not None:
            texts = list(dict.fromkeys(v.text for v in views))  # usually 2: the span's text and its mirror
            table = dict(zip(texts, enc.encode(texts)))
            emb = np.stack([table[v.text] for v in views])
        else:
            emb = np.zeros((len(views), 384), np.float32)
        with torch.no_grad():
            maps = render_maps(torch.from_numpy(np.stack([p[0].points for p in pairs])))
            maps = torch.cat([maps, mirror_maps(maps)])
        fv = np.stack([v.frame_valid for v in views])
        return batch_tensors(maps, fv, np.stack([v.km for v in views]), emb, self.device)

    def probability(self, batch: dict) -> float:
        """Calibrated probability of a prepared batch (mean logit over its views)."""
        import torch

        with torch.no_grad():
            z, present = self.net.standardise(batch["km"])
            out = self.net(batch["maps"], batch["frame_valid"], z, present, batch["text"])
        return float(self.calibrate(float(out["logit"].mean())))

    def predict(self, seq: PoseSequence | None, notes: str = "", segment: tuple[int, int] | None = None,
                explain: bool = True, *, pair: tuple[ClipInputs, ClipInputs] | None = None,
                pairs: list[tuple[ClipInputs, ClipInputs]] | None = None) -> ScreeningResult:
        """Screen the walk of one pose sequence: every usable 96-frame window of ``segment``
        [start, stop) (frame indices of ``seq``; the quality gate's walking), pooled
        (``pooling.py``). ``pairs``: prepared window inputs (the app computes the map and the
        text once and passes them, ``pooling.window_inputs``); ``pair``: one prepared window."""
        if pairs is None and pair is not None:
            pairs = [pair]
        if pairs is None:
            from scoliscreen.core.model.pooling import walk_inputs

            assert seq is not None
            pairs = walk_inputs(seq, segment, notes)[2]
        start = pairs[0][0].start_s
        offsets = tuple(int(round((p[0].start_s - start) * TARGET_FPS)) for p in pairs)
        switches = seq.meta.get("identity_switches") if seq is not None else None
        return self.predict_windows(pairs, [_view_of(seq)] * len(pairs), explain=explain, offsets=offsets,
                                    switches=switches)

    def predict_windows(self, pairs: list[tuple[ClipInputs, ClipInputs]], views: list[str | None],
                        explain: bool = True, offsets: tuple[int, ...] | None = None,
                        switches: list | None = None) -> ScreeningResult:
        """One pooled answer over prepared windows (of one clip, or of several clips of one
        visit; ``views[i]``: the view of window i's clip). Region weights are averaged over
        windows; the time-resolved weights (on the clip's map windows) need ``offsets``, the
        windows' start frames (30 fps) in one clip. ``switches``: frames where the tracked person
        changed (``meta["identity_switches"]`` of the clips): the answer becomes re-record."""
        import torch

        from scoliscreen.core.model.explain import attribution
        from scoliscreen.core.model.features import region_permutation_mirror
        from scoliscreen.core.model.pooling import pool_cumulative, pool_relevance, span_windows

        if not pairs:
            raise ValueError("no window to screen")
        n = len(pairs)
        batch = self.prepare_windows(pairs)
        if explain:
            out, rel_t = attribution(self.net, batch, return_outputs=True)
            rel = rel_t.numpy()
            # the mirror view's regions are the subject's other side: map them back
            rel_sum = rel[:n] + rel[n:][:, region_permutation_mirror()]
        else:
            with torch.no_grad():
                z, present = self.net.standardise(batch["km"])
                out = self.net(batch["maps"], batch["frame_valid"], z, present, batch["text"])
            rel_sum = np.ones((n, len(REGION_IDS), pairs[0][0].km.shape[0]))
        cum_all = out["cum"].cpu().numpy().astype(np.float64)
        cum_win = (cum_all[:n] + cum_all[n:]) / 2.0  # each window: clip and mirror image
        d = self.decision
        cum = pool_cumulative(cum_win, d.a, d.b)
        # the map windows the answer rests on (one clip: each once; a visit: every clip's)
        km = span_windows(pairs) if offsets is not None else np.concatenate([p[0].km for p in pairs])
        fv = np.concatenate([p[0].frame_valid for p in pairs])
        bad_views = [v for v in views if v and d.validated_views and v not in d.validated_views]
        result = self._answer(bad_views[0] if bad_views else next((v for v in views if v), None), km, fv, cum,
                              switches)
        if offsets is not None:  # one clip: the weights on its map's windows (one time axis)
            rw = pool_relevance(rel_sum, offsets)
            first = pairs[0][0]
            times = first.window_times_s[0] + HOP_FRAMES / TARGET_FPS * np.arange(rw.shape[1])
            result.window_weights = [float(v) for v in rw.sum(0)]
            result.region_window_weights = rw.tolist()
            result.window_times_s = [float(t) for t in times]
            result.segment_s = (first.start_s, pairs[-1][0].start_s + pairs[-1][0].n_frames / TARGET_FPS)
        else:  # several clips: no single time axis
            rw = pool_relevance(rel_sum, (0,) * n)
        result.region_weights = {r: float(v) for r, v in zip(REGION_IDS, rw.sum(1))}
        result.windows_s = [(p[0].start_s, p[0].start_s + p[0].n_frames / TARGET_FPS) for p in pairs]
        window_p = [float(self.calibrate(c[_positive_index()])) for c in cum_win]
        result.extras = {"logit": float(cum[_positive_index()]), "text": pairs[0][0].text,
                         "window_probabilities": window_p, **result.extras}
        return result

    def _answer(self, view: str | None, km, frame_valid, cum, switches=None) -> ScreeningResult:
        """Probability, bands, Cobb median + interval (one distribution) and the decision."""
        from scoliscreen.core.model.outcome import POSITIVE_INDEX, outcome

        d = self.decision
        oc = outcome(cum, d.a, d.b, d.shift)
        raw = float(cum[POSITIVE_INDEX])
        ood = d.ood_score(km)
        reasons = d.reasons(raw, view, frame_valid, ood, list(switches or []) or None)
        return ScreeningResult(
            probability=oc.probability, label=d.label(raw, reasons), threshold=d.threshold,
            cobb_estimate=oc.median, severity_band=oc.severity_band, region_weights={}, window_weights=[],
            region_window_weights=[], window_times_s=[], model_version=self.model_version, device=self.device,
            severity_probabilities=oc.band_probabilities, cobb_interval=oc.interval, reasons=reasons,
            extras={"view": view, "ood_score": ood, "prevalence": d.prevalence},
            referral_setting=dict(self.referral_setting),
            model_provenance=self.model_provenance,
        )


def _positive_index() -> int:
    from scoliscreen.core.model.outcome import POSITIVE_INDEX

    return POSITIVE_INDEX


def _view_of(seq: PoseSequence | None) -> str | None:
    """The clip's view: the quality gate's (``meta["view"]``), else guessed from the poses."""
    if seq is None:
        return None
    view = seq.meta.get("view")
    if not view:
        from scoliscreen.core.quality import guess_view

        view = guess_view(seq)[0]
    return view
