"""Frame sources: streamed video files (real clips), rotation metadata, cameras."""

import inspect
import struct

import cv2
import numpy as np
import pytest

from scoliscreen.core.errors import InputError
from scoliscreen.core.video import (
    CameraSource,
    Frame,
    VideoFileSource,
    open_source,
    rotate_image,
    rotated_size,
)


def _write_marker_video(path, size=(160, 96), frames=6):
    """A small mp4 whose top-left corner is red and top-right corner green, so orientation is visible."""
    w, h = size
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 30, (w, h))
    assert writer.isOpened()
    for i in range(frames):
        img = np.zeros((h, w, 3), np.uint8)
        img[:20, :40] = (0, 0, 255)
        img[:20, -40:] = (0, 255, 0)
        img[-10:, :] = 10 * i  # frames differ
        writer.write(img)
    writer.release()
    return path


# Display matrices (ISO BMFF tkhd) for rotations, 16.16 fixed point; w = 1.0 in 2.30.
_MATRIX = {
    90: (0, 65536, 0, -65536, 0, 0, 0, 0, 1 << 30),
    180: (-65536, 0, 0, 0, -65536, 0, 0, 0, 1 << 30),
    270: (0, -65536, 0, 65536, 0, 0, 0, 0, 1 << 30),
}


def _set_rotation(path, degrees):
    """Give an mp4 phone-style rotation metadata by rewriting its track-header matrix."""
    data = bytearray(path.read_bytes())
    i = data.find(b"tkhd")
    assert i > 0 and data[i + 4] == 0  # version-0 track header
    off = i + 4 + 40
    assert struct.unpack(">9i", data[off:off + 36]) == (65536, 0, 0, 0, 65536, 0, 0, 0, 1 << 30)
    data[off:off + 36] = struct.pack(">9i", *_MATRIX[degrees])
    path.write_bytes(bytes(data))


@pytest.mark.slow  # ~0.5-5 s: kept out of the fast subset (<= 60 s in all)
def test_sample_clip_streams_every_frame_with_timestamps(sample_clip):
    with open_source(sample_clip) as src:
        assert isinstance(src, VideoFileSource)
        assert src.fps == pytest.approx(30.0)
        assert src.size == (1768, 528)
        assert src.frame_count == 147
        it = iter(src)
        assert inspect.isgenerator(it)  # streamed, never the whole video in memory
        frames = [(f.index, f.timestamp_ms, f.image.shape, f.image.dtype) for f in it]
    assert len(frames) == 147
    assert [f[0] for f in frames] == list(range(147))
    ts = np.array([f[1] for f in frames])
    assert ts[0] == 0.0 and np.all(np.diff(ts) > 0)
    assert np.allclose(np.diff(ts), 1000 / 30, atol=1.0)
    assert {f[2] for f in frames} == {(528, 1768, 3)}
    assert {f[3] for f in frames} == {np.dtype(np.uint8)}
    assert not src.truncated


def test_iterating_twice_reopens(real_dir):
    with open_source(real_dir / "intel_worker_back_walk_away.mp4") as src:
        first = [f.timestamp_ms for f in src]
        second = [f.timestamp_ms for f in src]
    assert len(first) == len(second) == 71
    assert first == second
    assert first[1] == pytest.approx(1000 / 15, abs=1)


def test_read_at_matches_streamed_frames_forward_and_backward(real_dir):
    path = real_dir / "intel_worker_back_walk_away.mp4"
    with open_source(path) as src:
        streamed = {f.index: f.image.copy() for f in src if f.index in (0, 3, 40, 70)}
        for idx in (40, 3, 70, 0, 40):
            frame = src.read_at(idx)
            assert isinstance(frame, Frame) and frame.index == idx
            assert np.array_equal(frame.image, streamed[idx])
        with pytest.raises(IndexError):
            src.read_at(71)


@pytest.mark.slow
def test_vp9_mp4_with_audio_decodes(real_dir):
    with open_source(real_dir / "sports2d_demo_multiperson.mp4") as src:
        assert src.size == (1768, 994)
        n = sum(1 for _ in src)
    assert n == 230


@pytest.mark.parametrize("degrees", [90, 180, 270])
def test_rotation_metadata_is_applied(tmp_path, degrees):
    path = _write_marker_video(tmp_path / f"rot{degrees}.mp4")
    with open_source(path) as src:
        upright = [f.image.copy() for f in src]
    _set_rotation(path, degrees)
    with open_source(path) as src:
        assert src.rotation == degrees
        assert src.size == rotated_size((160, 96), degrees)
        rotated = [f.image for f in src]
        assert np.array_equal(src.read_at(2).image, rotated[2])
    assert len(rotated) == len(upright) == 6
    # np.rot90 with k=-1 is a clockwise quarter turn
    for a, b in zip(upright, rotated):
        assert np.array_equal(b, np.rot90(a, k=-degrees // 90))
    # and it agrees with what OpenCV's own auto-rotation shows
    cap = cv2.VideoCapture(str(path))
    ok, auto = cap.read()
    cap.release()
    assert ok and np.array_equal(auto, rotated[0])


def test_rotate_image_mapping():
    img = np.arange(2 * 3).reshape(2, 3).astype(np.uint8)
    assert rotate_image(img, 0) is img
    assert np.array_equal(rotate_image(img, 90), np.rot90(img, -1))
    assert np.array_equal(rotate_image(img, 180), np.rot90(img, 2))
    assert np.array_equal(rotate_image(img, 270), np.rot90(img, 1))
    assert np.array_equal(rotate_image(img, -90), np.rot90(img, 1))
    assert rotated_size((640, 360), 90) == (360, 640)
    assert rotated_size((640, 360), 180) == (640, 360)


def test_unreadable_camera_index_is_a_clear_error():
    with pytest.raises(InputError, match="camera 97 could not be opened"):
        CameraSource(97)
    with pytest.raises(InputError, match="camera 98"):
        open_source(98)
    with pytest.raises(InputError, match="camera 99"):
        open_source("99")  # digits with no such file = camera index


def test_source_describes_the_clip(sample_clip):
    with open_source(sample_clip) as src:
        assert src.kind == "video" and tuple(src.size) == (1768, 528) and src.frame_count == 147


def test_camera_frames_have_wall_clock_timestamps_and_stop(fake_camera):
    with open_source(0, seconds=0.3) as cam:
        assert isinstance(cam, CameraSource) and cam.kind == "camera"
        assert cam.size == (1768, 528) and cam.frame_count is None
        frames = list(cam)
    ts = np.array([f.timestamp_ms for f in frames])
    assert frames[0].index == 0 and np.all(np.diff(ts) > 0)
    assert 300 <= ts[-1] < 450 and 8 <= len(frames) <= 14  # ~30 frames/s for ~0.3 s
    with CameraSource(0, max_frames=5) as cam:
        assert [f.index for f in cam] == [0, 1, 2, 3, 4]
