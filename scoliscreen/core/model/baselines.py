"""Simple screening baselines for the cross-world comparison (no scikit-learn at run time).

* :func:`clip_medians` — the knowledge map's per-feature median over every usable window of a
  clip (the map the app computes, ``DatasetInputs.km``);
* :func:`sign_invariant` — the same medians made blind to the side of the curve: a scoliosis
  can be convex to the left or to the right, so a *signed* asymmetry (positive = the
  subject's right) averages out over a cohort. Signed features become magnitudes, and every
  per-side pair (``left_*`` / ``right_*``) becomes its absolute difference and its mean;
* :func:`asymmetry_magnitudes` / :class:`AsymmetryScore` — the clinical-prior score: every
  signed left/right asymmetry of the catalogue as a magnitude, z-scored on the training clips
  and averaged with *equal* weights. Nothing but the scale is learned from the simulator: the
  priors (``shared/docs/science.md``: shoulder, waist, trunk shift, pelvic obliquity, arm
  swing, step asymmetries all grow with the curve) fix the direction and the weights;
* :func:`nuisance_matrix` — recording and body facts only (view, fps, resolution, portrait,
  clip length, sex, age, stature): whatever these predict is a shortcut, not scoliosis;
* :class:`LogisticModel` — L2-regularised logistic regression (torch LBFGS, float64) on
  standardised features, NaN imputed with the training mean; the L2 strength is chosen on
  validation clips (:meth:`LogisticModel.fit_selected`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def clip_medians(km: np.ndarray) -> np.ndarray:
    """[N, W, F] window values (NaN = missing) -> [N, F] median over the windows of each clip."""
    import warnings

    with warnings.catch_warnings():  # an all-NaN feature stays NaN (imputed later)
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmedian(np.asarray(km, np.float64), axis=1)


def _pairs() -> tuple[list[int], list[tuple[int, int]], list[int]]:
    """(signed feature indices, per-side (left, right) index pairs, the other unsigned ones)."""
    from scoliscreen.core.kinematics import FEATURE_INDEX, FEATURES

    signed, pairs, plain, seen = [], [], [], set()
    for i, f in enumerate(FEATURES):
        if f.signed:
            signed.append(i)
        elif f.mirror_name != f.name:
            j = FEATURE_INDEX[f.mirror_name]
            if (j, i) not in seen:
                seen.add((i, j))
                left, right = (i, j) if "left" in f.name else (j, i)
                pairs.append((left, right))
        else:
            plain.append(i)
    return signed, pairs, plain


def sign_invariant(km: np.ndarray) -> np.ndarray:
    """Side-blind clip features: |signed medians|, per-side pairs as |left - right| and their
    mean, the other (already side-free) medians as they are. Identical for a clip and its
    mirror image by construction."""
    med = clip_medians(km)
    signed, pairs, plain = _pairs()
    cols = [np.abs(med[:, signed])]
    if pairs:
        lft = med[:, [a for a, _ in pairs]]
        rgt = med[:, [b for _, b in pairs]]
        cols += [np.abs(lft - rgt), (lft + rgt) / 2]
    cols.append(med[:, plain])
    return np.concatenate(cols, axis=1)


def asymmetry_magnitudes(km: np.ndarray) -> np.ndarray:
    """[N, W, F] window values -> [N, S] |clip median| of each signed asymmetry feature."""
    signed, _, _ = _pairs()
    return np.abs(clip_medians(km)[:, signed])


@dataclass
class AsymmetryScore:
    """Equal-weight mean of z-scored asymmetry magnitudes (module doc); ``score`` is in
    z units (higher = more asymmetric), calibrated afterwards like any other score."""

    mean: np.ndarray
    std: np.ndarray

    @classmethod
    def fit(cls, x: np.ndarray) -> "AsymmetryScore":
        x = np.asarray(x, np.float64)
        with np.errstate(all="ignore"):
            mean, std = np.nanmean(x, axis=0), np.nanstd(x, axis=0)
        return cls(np.where(np.isfinite(mean), mean, 0.0), np.where(np.isfinite(std) & (std > 1e-9), std, 1.0))

    def score(self, x: np.ndarray) -> np.ndarray:
        return LogisticModel._z(x, self.mean, self.std).mean(axis=1)


NUISANCE_COLUMNS = ("view_front", "fps", "width", "height", "portrait", "good_frame_fraction",
                    "sex_female", "age", "height_m")


def nuisance_matrix(records: list[dict], frame_valid: np.ndarray) -> np.ndarray:
    """[N, len(NUISANCE_COLUMNS)] recording/body facts of each clip (NaN where a dataset lacks
    the column). ``records``: the clips' labels.csv rows (dicts), in sample order."""
    def num(r, k):
        try:
            return float(r.get(k, "nan") or "nan")
        except (TypeError, ValueError):
            return float("nan")

    rows = []
    for r, fv in zip(records, frame_valid):
        w, h = num(r, "width"), num(r, "height")
        sex = str(r.get("sex", "") or "").strip().lower()[:1]
        rows.append([float(str(r.get("view", "")).lower() == "front"), num(r, "fps"), w, h,
                     float(h > w) if np.isfinite(w) and np.isfinite(h) else np.nan, float(np.mean(fv)),
                     {"f": 1.0, "m": 0.0}.get(sex, np.nan), num(r, "age"), num(r, "height_m")])
    return np.asarray(rows, np.float64).reshape(len(rows), len(NUISANCE_COLUMNS))


L2_GRID = (1.0, 10.0, 100.0, 1000.0, 10000.0)  # L2 strengths tried (on the summed loss scale)


@dataclass
class LogisticModel:
    """L2 logistic regression on standardised features; ``score`` returns log-odds."""

    mean: np.ndarray
    std: np.ndarray
    w: np.ndarray
    b: float
    l2: float = 1.0

    @classmethod
    def fit(cls, x: np.ndarray, y: np.ndarray, l2: float = 1.0, balanced: bool = True) -> "LogisticModel":
        import torch

        x = np.asarray(x, np.float64)
        with np.errstate(all="ignore"):
            mean = np.nanmean(x, axis=0)
            std = np.nanstd(x, axis=0)
        mean = np.where(np.isfinite(mean), mean, 0.0)
        std = np.where(np.isfinite(std) & (std > 1e-9), std, 1.0)
        z = cls._z(x, mean, std)
        y = np.asarray(y, np.float64)
        pos = max(1.0, y.sum())
        neg = max(1.0, len(y) - y.sum())
        sw = np.where(y > 0, len(y) / (2 * pos), len(y) / (2 * neg)) if balanced else np.ones_like(y)
        xt, yt, wt = (torch.from_numpy(a) for a in (z, y, sw))
        params = torch.zeros(z.shape[1] + 1, dtype=torch.float64, requires_grad=True)
        opt = torch.optim.LBFGS([params], max_iter=200, line_search_fn="strong_wolfe")

        def closure():
            opt.zero_grad()
            logits = xt @ params[:-1] + params[-1]
            loss = (torch.nn.functional.binary_cross_entropy_with_logits(logits, yt, weight=wt)
                    + l2 / len(y) * (params[:-1] ** 2).sum() / 2)
            loss.backward()
            return loss

        opt.step(closure)
        p = params.detach().numpy()
        return cls(mean, std, p[:-1].copy(), float(p[-1]), float(l2))

    @classmethod
    def fit_selected(cls, x, y, x_val, y_val, grid: tuple = L2_GRID) -> "LogisticModel":
        """Fit with each L2 strength of ``grid``; keep the one with the best validation AUC
        (the validation clips choose, never the test clips). ``.l2`` says which."""
        from scoliscreen.core.model.train import roc_auc

        best, best_auc = None, -np.inf
        for l2 in grid:
            m = cls.fit(x, y, l2=l2)
            auc = roc_auc(y_val, m.score(x_val))
            if np.isfinite(auc) and auc > best_auc + 1e-9:
                best, best_auc = m, auc
        return best if best is not None else cls.fit(x, y, l2=grid[0])

    @staticmethod
    def _z(x: np.ndarray, mean: np.ndarray, std: np.ndarray) -> np.ndarray:
        z = (np.asarray(x, np.float64) - mean) / std
        return np.clip(np.nan_to_num(z, nan=0.0, posinf=0.0, neginf=0.0), -6, 6)

    def score(self, x: np.ndarray) -> np.ndarray:
        return self._z(x, self.mean, self.std) @ self.w + self.b
