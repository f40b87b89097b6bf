"""World C's camera: phone intrinsics (35 mm-equivalent focal length, principal point offset,
radial lens distortion), a tripod or a hand-held phone that shakes, and a rotation-matrix
projection. Structurally different from world A's ``camera.project`` (ideal pinhole from a
field of view, no distortion, a steady camera).

Every choice draws from its own child stream of the clip's setup generator (``CAMERA_STREAMS``),
none from the subject's: view, fps, orientation, resolution, lens, placement and shake are
independent of the label.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from scipy.signal import lfilter

from scoliscreen.core.landmarks import MP

D2R = np.pi / 180.0
CAMERA_STREAMS = ("view", "fps", "orientation", "resolution", "duration", "lens", "placement", "shake")
FPS_C = ((24.0, 0.10), (25.0, 0.10), (30.0, 0.45), (48.0, 0.05), (60.0, 0.30))
LANDSCAPE_C = ((1920, 1080), (1280, 720), (3840, 2160), (854, 480))
DURATION_C = (3.4, 7.0)  # s: the range of clip lengths


@dataclass
class CameraC:
    view: str
    fps: float
    width: int
    height: int
    duration_s: float
    focal_px: float
    cx_off: float            # principal point offset, fraction of the width / height
    cy_off: float
    k1: float                # radial distortion (barrel < 0)
    height_m: float
    pitch_err_deg: float
    roll_deg: float
    heading_deg: float       # walking line vs the optical axis
    lateral_m: float
    near_m: float            # closest distance of the walker
    handheld: bool
    shake_deg: float         # RMS angular shake of a hand-held phone

    def to_dict(self) -> dict:
        return asdict(self)


def sample_camera_c(rng: np.random.Generator, height_m: float, speed: float, view: str | None = None,
                    fps: float | None = None) -> CameraC:
    st = dict(zip(CAMERA_STREAMS, rng.spawn(len(CAMERA_STREAMS))))
    if view is None:
        view = "front" if st["view"].random() < 0.5 else "back"
    if fps is None:
        fps = FPS_C[int(st["fps"].choice(len(FPS_C), p=[w for _, w in FPS_C]))][0]
    portrait = st["orientation"].random() < 0.5
    w, h = LANDSCAPE_C[int(st["resolution"].choice(len(LANDSCAPE_C), p=[0.45, 0.25, 0.15, 0.15]))]
    if portrait:
        w, h = h, w
    duration = float(st["duration"].uniform(*DURATION_C))
    lens = st["lens"]
    # main camera 23-28 mm equivalent; 20% of clips on the 2x tele (46-56 mm)
    f35 = lens.uniform(23.0, 28.0) * (2.0 if lens.random() < 0.2 else 1.0)
    focal = f35 / 36.0 * max(w, h)
    pl = st["placement"]
    walk = speed * duration
    # whole body in frame at the near end (margin 10-40%), body >= ~22% of the frame at the far end
    near = 1.1 * height_m * focal / h * pl.uniform(1.0, 1.3) + pl.uniform(0.2, 0.8)
    far_limit = height_m * focal / (0.22 * h)
    if near + walk > far_limit:  # the walk would shrink the body too much: zoom out is not possible,
        focal *= (near + walk) / far_limit * 1.02  # so the user zooms in a little and stands back
        near = 1.1 * height_m * focal / h * pl.uniform(1.0, 1.15) + 0.3
    return CameraC(
        view=view, fps=float(fps), width=int(w), height=int(h), duration_s=duration, focal_px=float(focal),
        cx_off=float(lens.normal(0.0, 0.008)), cy_off=float(lens.normal(0.0, 0.008)),
        k1=float(lens.uniform(-0.08, 0.02)),
        height_m=float(pl.uniform(0.6, 1.9)), pitch_err_deg=float(pl.normal(0.0, 3.0)),
        roll_deg=float(np.clip(pl.normal(0.0, 2.5), -7.0, 7.0)), heading_deg=float(pl.normal(0.0, 5.0)),
        lateral_m=float(pl.normal(0.0, 0.2)), near_m=float(near),
        handheld=bool(st["shake"].random() < 0.6), shake_deg=float(st["shake"].uniform(0.1, 0.6)),
    )


def _rot(axis: int, a: np.ndarray) -> np.ndarray:
    """[T, 3, 3] rotations about camera axis 0 (x), 1 (y) or 2 (z) by angles a [T] (radians)."""
    c, s = np.cos(a), np.sin(a)
    R = np.zeros((len(a), 3, 3))
    i, j = [k for k in range(3) if k != axis]
    R[:, axis, axis] = 1.0
    R[:, i, i], R[:, i, j], R[:, j, i], R[:, j, j] = c, -s, s, c
    return R


def project_c(body: np.ndarray, height_m: float, cam: CameraC, rng: np.random.Generator
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Camera view of ``body`` [T, 33, 3] (body frame): (xy normalised [T,33,2], z [T,33], body height px [T])."""
    n = len(body)
    hip_z = 0.5 * (body[:, MP["left_hip"], 2] + body[:, MP["right_hip"], 2])
    walked = max(float(hip_z[-1] - hip_z[0]), 0.0)
    psi = cam.heading_deg * D2R
    x, y, z = body[..., 0], body[..., 1], body[..., 2] - hip_z[0]
    x, z = np.cos(psi) * x - np.sin(psi) * z, np.sin(psi) * x + np.cos(psi) * z
    # world -> camera-aligned axes (X right in the image, Y down, Z away from the camera)
    if cam.view == "front":
        P = np.stack([x + cam.lateral_m, cam.height_m - y, cam.near_m + walked - z], axis=-1)
    else:
        P = np.stack([-x + cam.lateral_m, cam.height_m - y, cam.near_m + z], axis=-1)
    d_mid = cam.near_m + 0.5 * walked
    pitch = np.full(n, np.arctan2(cam.height_m - 0.5 * height_m, d_mid) + cam.pitch_err_deg * D2R)
    roll = np.full(n, cam.roll_deg * D2R)
    yaw = np.zeros(n)
    if cam.handheld:  # slow hand tremor / drift, AR(1) with a 0.4 s time constant
        a = np.exp(-1.0 / (0.4 * cam.fps))
        e = rng.standard_normal((n, 3)) * cam.shake_deg * D2R * np.sqrt(1 - a * a)
        e[0] /= np.sqrt(1 - a * a)
        drift = lfilter([1.0], [1.0, -a], e, axis=0)
        pitch, yaw, roll = pitch + drift[:, 0], yaw + drift[:, 1], roll + drift[:, 2]
    R = _rot(2, roll) @ _rot(0, pitch) @ _rot(1, yaw)
    Pc = np.einsum("tij,tkj->tki", R, P)
    Zc = np.maximum(Pc[..., 2], 0.3)
    xn, yn = Pc[..., 0] / Zc, Pc[..., 1] / Zc
    r2 = xn ** 2 + yn ** 2
    dist = 1.0 + cam.k1 * r2
    u = cam.focal_px * xn * dist + cam.width * (0.5 + cam.cx_off)
    v = cam.focal_px * yn * dist + cam.height * (0.5 + cam.cy_off)
    hip_depth = 0.5 * (Zc[:, MP["left_hip"]] + Zc[:, MP["right_hip"]])
    z_norm = (Zc - hip_depth[:, None]) * (cam.focal_px / hip_depth[:, None]) / cam.width
    body_px = height_m * cam.focal_px / hip_depth
    return np.stack([u / cam.width, v / cam.height], axis=-1), z_norm, body_px
