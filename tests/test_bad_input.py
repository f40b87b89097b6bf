"""Every kind of bad input gets one clear line on stderr, a non-zero exit and no traceback."""

from pathlib import Path

import cv2
import numpy as np
import pytest

from scoliscreen.cli import main

SAMPLE = Path(__file__).resolve().parents[1] / "resources" / "samples" / "sports2d_side_walk_single.mp4"


def _write_video(path, size, frames, fourcc, draw=None):
    w, h = size
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), 30, (w, h))
    assert writer.isOpened(), f"cannot write {path}"
    for i in range(frames):
        img = np.full((h, w, 3), (170, 160, 150), np.uint8)
        if draw:
            draw(img, i)
        writer.write(img)
    writer.release()
    return path


def _empty_room(img, i):
    cv2.rectangle(img, (60, 120), (160, 220), (60, 80, 120), -1)  # a table
    cv2.rectangle(img, (230, 40), (300, 230), (90, 90, 90), -1)  # a door


def make_zero_byte(d):
    p = d / "empty.mp4"
    p.write_bytes(b"")
    return p


def make_random_bytes(d):
    p = d / "random.mp4"
    p.write_bytes(np.random.default_rng(0).bytes(40_000))
    return p


def make_truncated_mp4(d):
    """The real sample (moov atom first) cut to a third: a few frames decode, then nothing."""
    p = d / "truncated.mp4"
    data = SAMPLE.read_bytes()
    p.write_bytes(data[: len(data) // 3])
    return p


def make_truncated_mp4_index_lost(d):
    """An mp4 written by OpenCV (index at the end) cut in half: the index is gone."""
    full = _write_video(d / "full.mp4", (320, 240), 30, "mp4v", _empty_room)
    p = d / "truncated_noindex.mp4"
    data = full.read_bytes()
    p.write_bytes(data[: len(data) // 2])
    return p


def make_text_file(d):
    p = d / "notes.txt"
    p.write_text("Patient walked 10 m, no complaints.\n")
    return p


def make_text_named_mp4(d):
    p = d / "notes.mp4"
    p.write_text("not a video at all\n" * 20)
    return p


def make_png(d):
    p = d / "photo.png"
    cv2.imwrite(str(p), np.zeros((120, 80, 3), np.uint8))
    return p


def make_png_named_mp4(d):
    p = d / "photo.mp4"
    ok, buf = cv2.imencode(".png", np.zeros((120, 80, 3), np.uint8))
    p.write_bytes(buf.tobytes())
    return p


def make_missing(d):
    return d / "does_not_exist.mp4"


def make_directory(d):
    p = d / "clips.mp4"
    p.mkdir()
    return p


def make_one_pixel_video(d):
    return _write_video(d / "one_pixel.avi", (1, 1), 20, "MJPG")


def make_no_person_video(d):
    return _write_video(d / "empty_room.mp4", (320, 240), 45, "mp4v", _empty_room)


def make_bad_npz(d):
    p = d / "poses.npz"
    np.savez(p, something=np.zeros(3))
    return p


CASES = {
    "zero_byte": (make_zero_byte, "empty (0 bytes)", 2),
    "random_bytes": (make_random_bytes, "cannot be opened as a video", 2),
    "truncated_mp4": (make_truncated_mp4, "video ends early", 2),
    "truncated_mp4_index_lost": (make_truncated_mp4_index_lost, "cannot be opened as a video", 2),
    "text_file": (make_text_file, "is a text file, not a video", 2),
    "text_named_mp4": (make_text_named_mp4, "is a text file, not a video", 2),
    "png": (make_png, "is a still PNG image, not a video", 2),
    "png_named_mp4": (make_png_named_mp4, "is a still PNG image", 2),
    "missing": (make_missing, "no such file", 2),
    "directory": (make_directory, "is a folder, not a video file", 2),
    "one_pixel": (make_one_pixel_video, "only 1x1 pixels", 2),
    "no_person": (make_no_person_video, "No person was found", 3),
    "bad_npz": (make_bad_npz, "not a pose sequence (missing", 2),
}


@pytest.mark.slow  # ~0.5-5 s: kept out of the fast subset (<= 60 s in all)
@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_gives_one_clear_line(case, tmp_path, capfd):
    make, expected, code = CASES[case]
    path = make(tmp_path)
    capfd.readouterr()
    rc = main(["analyze", str(path)])
    out, err = capfd.readouterr()  # file-descriptor level: OpenCV/FFmpeg/MediaPipe output counts too
    assert rc == code
    assert "Traceback" not in err + out
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("scoliscreen: error: ")
    assert expected in lines[0]
    assert "internal error" not in lines[0]


def test_unreadable_camera_index(capfd):
    capfd.readouterr()
    rc = main(["analyze", "--camera", "3"])
    out, err = capfd.readouterr()
    assert rc == 2 and out == ""
    assert len(err.strip().splitlines()) == 1
    assert err.strip().startswith("scoliscreen: error: camera 3 could not be opened")


def test_bad_seconds(capsys):
    rc = main(["analyze", "--camera", "0", "--seconds", "0"])
    _, err = capsys.readouterr()
    assert rc == 2 and "--seconds must be a number in (0, 600]" in err
