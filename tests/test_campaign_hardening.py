"""Issue 24 B acceptance: a campaign of hostile and faulty cases (output paths, modes, injection,
limits, exit codes, small points) run through the CLI in-process under umask 000.

After EVERY case: the exit status is the one expected (2 for bad input / unwritable output,
never 1), a refusal prints exactly one stderr line with no traceback and no escape code, the
practice database passes integrity_check with the same row counts (unless the case writes a
visit or an audit row), the victim file is byte-identical with its 0644 mode, and the case's own
checks hold (modes of what it wrote, links and devices left as they were).
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import stat
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
import hostile as h
import malformed as m

from scoliscreen.cli import main


@dataclass
class Case:
    name: str
    argv: list[str]
    code: int = 2
    lines: int | None = None  # stderr lines expected (default: 1 for a refusal, any for a success)
    check: Callable[[h.World, str, str], None] | None = None  # (world, stdout, stderr)
    enospc: bool = False  # every write fails with "no space left on device"
    audit_may_grow: bool = False
    slow: bool = False  # renders a PDF (0.3-1 s each) or imports torch (about 4 s): in the slow half


def Slow(*args, **kw) -> Case:  # noqa: N802  (reads as a kind of Case)
    return Case(*args, slow=True, **kw)


def _owner_only(*paths):
    def check(w, out, err):
        for p in paths:
            want = 0o700 if Path(p).is_dir() else 0o600
            assert h.mode(p) == want, f"{p}: {oct(h.mode(p))}"
    return check


def _still(kind, *paths):
    test = {"link": stat.S_ISLNK, "fifo": stat.S_ISFIFO, "dir": stat.S_ISDIR}[kind]

    def check(w, out, err):
        for p in paths:
            assert test(os.lstat(p).st_mode), f"{p} is no longer a {kind}"
    return check


def _absent(*paths):
    def check(w, out, err):
        for p in paths:
            assert not os.path.lexists(p), f"{p} was created"
    return check


def _all(*checks):
    def check(w, out, err):
        for c in checks:
            c(w, out, err)
    return check


def _unchanged_backup(w, out, err):
    assert h.sha(w.backup) == w.backup_sha and h.mode(w.backup) == 0o600
    assert not os.path.exists(str(w.backup) + "-wal")


def _exported_logged(w, out, err):  # the practice's own database (no --db) logs the export
    import sqlite3

    con = sqlite3.connect(w.db)
    assert con.execute("SELECT action FROM audit ORDER BY id DESC LIMIT 1").fetchone()[0] == "exported"
    con.close()


def _no_escape(w, out, err):
    assert "\x1b" not in out and "\x07" not in out and "\x1b" not in err


def _csv_neutralised(folder):
    def check(w, out, err):
        text = (Path(folder) / "patients.csv").read_text()
        assert "'=HYPERLINK" in text and "'-2+3" in text
        assert ",=" not in text and ",-2" not in text
        assert "\x1b" in (Path(folder) / "notes.csv").read_text()  # data kept; only terminals are protected
    return check


def _cases(w: h.World) -> list[Case]:
    p, bk = w.p, str(w.backup)
    good = str(m.GOOD_NPZ)
    v, dmg = str(w.visit), p("damaged.sqlite3")
    cases = [
        # ---- B.1 output paths: links, devices, FIFOs, folders are refused, never followed or replaced
        Case("features --csv /dev/full", ["features", good, "--csv", "/dev/full"],
             check=lambda w, o, e: stat.S_ISCHR(os.stat("/dev/full").st_mode)),
        Case("features --csv symlink", ["features", good, "--csv", p("link.csv")], check=_still("link", p("link.csv"))),
        Case("features --csv FIFO", ["features", good, "--csv", p("fifo.csv")], check=_still("fifo", p("fifo.csv"))),
        Case("features --csv folder", ["features", good, "--csv", p("dir.csv")], check=_still("dir", p("dir.csv"))),
        Case("features --summary-json symlink", ["features", good, "--summary-json", p("link.json")]),
        Case("features --markdown /dev/full", ["features", "--markdown", "/dev/full"]),
        Case("features --csv under a file", ["features", good, "--csv", p("afile/x.csv")]),
        Case("report onto a symlink", ["report", v, p("link.pdf")], check=_still("link", p("link.pdf"))),
        Case("report onto a /dev/full link", ["report", v, p("dev.pdf")]),
        Case("report onto a FIFO", ["report", v, p("fifo.pdf")], check=_still("fifo", p("fifo.pdf"))),
        Case("report onto a folder", ["report", v, p("dir.pdf")]),
        Case("report --session onto a symlink", ["report", "--session", v, "--out", p("link.pdf")]),
        Slow("report beside a planted .part link", ["report", v, p("planted.pdf")], code=0, audit_may_grow=True,
             check=_all(_owner_only(p("planted.pdf")), _still("link", p("planted.pdf.part")))),
        Case("db backup onto a symlink", ["db", "backup", p("link.sqlite3")]),
        Case("db backup onto /dev/full", ["db", "backup", "/dev/full"]),
        Case("db backup onto a FIFO", ["db", "backup", p("fifo.sqlite3")]),
        Case("db backup beside a planted .part link", ["db", "backup", p("planted.sqlite3")], code=0,
             check=_all(_owner_only(p("planted.sqlite3")), _still("link", p("planted.sqlite3.part")))),
        Case("db backup into a folder", ["db", "backup", p("dir.csv")], code=0,
             check=lambda w, o, e: [_owner_only(f)(w, o, e) for f in Path(p("dir.csv")).iterdir()]),
        Case("db export onto a file", ["db", "export", p("afile")]),
        Case("db export onto a linked folder", ["db", "export", p("export_link")]),
        Case("db export over an earlier export", ["db", "export", p("export_exists")],
             check=lambda w, o, e: Path(p("export_exists/patients.csv")).read_text() == "precious\n"),
        Case("db export (new folder, umask 000)", ["db", "export", p("exp/new")], code=0,
             check=_all(_owner_only(p("exp"), p("exp/new"), p("exp/new/patients.csv"), p("exp/new/visits.csv")),
                        _csv_neutralised(p("exp/new")))),
        Case("self-test --keep FILE", ["self-test", "--keep", p("afile"), "--no-gui"]),
        Case("train --out FILE", ["train", p("nowhere"), "--out", p("afile")]),
        Case("train --out /dev/full", ["train", p("nowhere"), "--out", "/dev/full"]),
        Case("evaluate --out symlink", ["evaluate", p("nowhere"), "--out", p("link.json")]),
        # ---- --db: checked before anything touches it; read-only commands read only
        Case("--db a text file (db info)", ["db", "--db", p("not_a_db.sqlite3"), "info"],
             check=lambda w, o, e: h.mode(p("not_a_db.sqlite3")) == 0o644),
        Case("--db a text file (patients add)", ["patients", "--db", p("not_a_db.sqlite3"), "add", "X-1"],
             check=lambda w, o, e: Path(p("not_a_db.sqlite3")).read_text() == "my thesis\n"
             and h.mode(p("not_a_db.sqlite3")) == 0o644),
        Case("--db a FIFO", ["patients", "--db", p("fifo.sqlite3"), "add", "X-1"], check=_still("fifo", p("fifo.sqlite3"))),
        Case("--db a folder", ["db", "--db", p("dir.csv"), "info"]),
        Case("--db a symlink to a text file", ["db", "--db", p("link.sqlite3"), "info"]),
        Case("--db /dev/null", ["db", "--db", "/dev/null", "info"],
             check=lambda w, o, e: stat.S_IMODE(os.stat("/dev/null").st_mode) == 0o666),
        Case("mistyped --db: patients list", ["patients", "--db", p("typo.sqlite3"), "list"],
             check=_absent(p("typo.sqlite3"))),
        Case("mistyped --db: db info", ["db", "--db", p("typo.sqlite3"), "info"], check=_absent(p("typo.sqlite3"))),
        Case("mistyped --db: report", ["report", v, p("t.pdf"), "--db", p("typo.sqlite3")],
             check=_absent(p("typo.sqlite3"), p("t.pdf"))),
        Case("mistyped --db: db export", ["db", "--db", p("typo.sqlite3"), "export", p("t")],
             check=_absent(p("typo.sqlite3"), p("t"))),
        Slow("report --db BACKUP leaves it as it was", ["report", v, p("from_backup.pdf"), "--db", bk], code=0,
             check=_all(_unchanged_backup, _owner_only(p("from_backup.pdf")))),
        Case("patients list --db BACKUP", ["patients", "--db", bk, "list", "--archived"], code=0, check=_unchanged_backup),
        Case("patients visits --db BACKUP", ["patients", "--db", bk, "visits"], code=0, check=_unchanged_backup),
        Case("db info --db BACKUP", ["db", "--db", bk, "info"], code=0, check=_unchanged_backup),
        Case("db backup --db BACKUP", ["db", "--db", bk, "backup", p("bk2.sqlite3")], code=0,
             check=_all(_unchanged_backup, _owner_only(p("bk2.sqlite3")))),
        Case("new database under umask 000", ["patients", "--db", p("newdir/sub/n.sqlite3"), "add", "N-1"], code=0,
             check=_owner_only(p("newdir"), p("newdir/sub"), p("newdir/sub/n.sqlite3"))),
        # ---- B.2 modes of what is written (umask 000)
        Case("features --csv is 0600", ["features", good, "--csv", p("out/feat.csv"), "--summary-json",
                                         p("out/sum.json")], code=0,
             check=_owner_only(p("out"), p("out/feat.csv"), p("out/sum.json"))),
        Case("db backup is 0600", ["db", "backup", p("b/backup.sqlite3")], code=0,
             check=_owner_only(p("b"), p("b/backup.sqlite3"))),
        Slow("report is 0600", ["report", v, p("r/visit.pdf")], code=0, audit_may_grow=True,
             check=_all(_owner_only(p("r"), p("r/visit.pdf")), _exported_logged)),
        Slow("session summary is 0600", ["report", "--session", v, str(w.cjk_visit), "--out", p("r/s.pdf")], code=0,
             audit_may_grow=True, check=_owner_only(p("r/s.pdf"))),
        # ---- B.7 write errors: full disk -> one line, exit 2, nothing half-written
        Case("features --csv, disk full", ["features", good, "--csv", p("full/f.csv")], enospc=True,
             check=_absent(p("full/f.csv"))),
        Case("db backup, disk full", ["db", "backup", p("full/b.sqlite3")], enospc=True, check=_absent(p("full/b.sqlite3"))),
        Case("db export, disk full", ["db", "export", p("full/exp")], enospc=True,
             check=_absent(p("full/exp/patients.csv"))),
        Slow("report, disk full", ["report", v, p("full/r.pdf")], enospc=True, check=_absent(p("full/r.pdf"))),
        Slow("report --session, disk full", ["report", "--session", v, "--out", p("full/s.pdf")], enospc=True),
        # ---- B.7 damaged records and databases
        Case("--db malformed image", ["db", "--db", p("malformed.sqlite3"), "info"]),
        Case("--db malformed image (report)", ["report", v, p("m.pdf"), "--db", p("malformed.sqlite3")]),
        Case("--db truncated database", ["patients", "--db", p("truncated.sqlite3"), "list"]),
        Case("report: result_json not JSON", ["report", str(w.damaged["json_garbage"]), p("d1.pdf"), "--db", dmg]),
        Case("report: result_json a list", ["report", str(w.damaged["json_list"]), p("d2.pdf"), "--db", dmg]),
        Case("report: result_json nested 100k", ["report", str(w.damaged["json_nested"]), p("d3.pdf"), "--db", dmg]),
        Slow("report: result_json wrong types", ["report", str(w.damaged["json_wrong_types"]), p("d4.pdf"), "--db", dmg]),
        Slow("report: sex tampered", ["report", str(w.damaged["bad_sex"]), p("d5.pdf"), "--db", dmg]),
        Case("report --session: damaged visit", ["report", "--session", str(w.damaged["json_list"]), "--out",
                                                 p("d6.pdf"), "--db", dmg]),
        Case("report: garbled stored pose names the visit", ["report", str(w.damaged["bad_pose"]), p("d7.pdf"),
                                                              "--db", dmg],
             check=lambda w, o, e: f"visit {w.damaged['bad_pose']}" in e and "/tmp" not in e.split("visit")[1]),
        # ---- B.5 escape codes are not printed raw
        Case("patients list with escape codes", ["patients", "list"], code=0, check=_no_escape),
        Case("patients visits with escape codes", ["patients", "visits"], code=0, check=_no_escape),
        Case("patients visits --json with escape codes", ["patients", "visits", "--json"], code=0, check=_no_escape),
        Case("file name with escape codes", ["features", p("clip\x1b[2J\x1b]0;x\x07.npz")], check=_no_escape),
        Slow("report CJK + escapes: no glyph warning", ["report", str(w.cjk_visit), p("cjk.pdf")], code=0,
             audit_may_grow=True, check=lambda w, o, e: e == ""),
        # ---- B.6 limits
        Case("batch --workers 100000", ["batch", p("exp"), "--workers", "100000"]),
        Case("batch --local-cluster 100000", ["batch", p("exp"), "--local-cluster", "100000"]),
        Case("batch --workers 0", ["batch", p("exp"), "--workers", "0"]),
        Case("batch: 140 MB roster", ["batch", p("media"), "--roster", p("huge_roster.csv")]),
        Case("import: nested-list pickle", ["import-scoliosis1k", p("s1k_nested"), p("imp1")]),
        Case("import: Latin-1 subject map", ["import-scoliosis1k", p("s1k_ok"), p("imp2"), "--subject-map",
                                             p("map_latin1.csv")]),
        Case("import: short-row subject map", ["import-scoliosis1k", p("s1k_ok"), p("imp3"), "--subject-map",
                                               p("map_short.csv")]),
        Case("features: a 12-minute clip is refused from its container", ["features", p("long.mp4")]),
        Slow("model: card nested 100k deep", ["predict", good, "--model", p("card_nested")]),
        Slow("model: card a JSON list", ["predict", good, "--model", p("card_list")]),
        Slow("model: config.dim = 10**6", ["predict", good, "--model", p("card_dim")]),
        Slow("model: safetensors header 2**60", ["predict", good, "--model", p("st_header")]),
        # ---- B.8
        Case("analyze --patient ARCHIVED before the analysis", ["analyze", good, "--patient", "ARCH-1"],
             check=lambda w, o, e: "archived" in e),
        Case("batch: FIFO, /dev/zero link, link out of FOLDER reported", ["batch", p("media"), "--out", p("bo/res.csv")],
             audit_may_grow=True, lines=1, check=_batch_rows),  # "N files: 0 to screen, N already settled"
        Case("batch: a sparse 20 GB clip is not hashed", ["batch", p("media_big"), "--out", p("bo/big.csv")],
             audit_may_grow=True, check=lambda w, o, e: "larger than the 4 GiB" in Path(p("bo/big.csv")).read_text()),
        Case("batch --out, disk full", ["batch", p("media"), "--out", p("bo/full.csv")], enospc=True, lines=2,
             audit_may_grow=True, check=_absent(p("bo/full.csv"))),  # progress line + the error
        Case("batch --reports onto a file", ["batch", p("media"), "--reports", p("afile")], lines=2,
             audit_may_grow=True),
        Case("batch --out onto a symlink", ["batch", p("media"), "--out", p("link.csv")]),
        Case("batch --out onto /dev/full", ["batch", p("media"), "--out", "/dev/full"]),
    ]
    return cases


def _batch_rows(w, out, err):
    import csv

    res = Path(w.p("bo/res.csv"))
    assert h.mode(res) == 0o600 and h.mode(res.parent) == 0o700
    rows = {r["file"]: r for r in csv.DictReader(res.open())}
    assert set(rows) == {"fifo.mp4", "zero.mp4", "outside.npz", "'=cmd.npz"}, rows
    assert "not a regular file" in rows["fifo.mp4"]["error"] and "not a regular file" in rows["zero.mp4"]["error"]
    assert "outside the folder" in rows["outside.npz"]["error"]
    assert "'=cmd.npz" in res.read_text()  # the formula-like file name is neutralised in the CSV


def _inputs(w: h.World) -> None:
    """Hostile inputs of the limit and exit-code cases."""
    import pickle

    import cv2
    import numpy as np

    r = w.root
    media = r / "media"
    media.mkdir()
    os.mkfifo(media / "fifo.mp4")
    (media / "zero.mp4").symlink_to("/dev/zero")
    (media / "outside.npz").symlink_to(m.GOOD_NPZ)
    os.mkfifo(media / "=cmd.npz")  # a formula-like name in a row that needs no worker
    (r / "media_big").mkdir()
    with open(r / "media_big" / "big.mp4", "wb") as fh:  # sparse: nothing on disk
        fh.truncate(20 << 30)
    with open(r / "huge_roster.csv", "wb") as fh:  # sparse: 140 MB claimed, nothing on disk
        fh.write(b"file,patient\n")
        fh.truncate(140 << 20)
    frame = [[1.0, 2.0, 0.9]] * 17
    m.s1k_tree(r / "s1k_nested", pickle.dumps([[frame] * 1000] * 1000))
    m.s1k_tree(r / "s1k_ok", pickle.dumps(np.ones((40, 17, 3), np.float32)))
    (r / "map_latin1.csv").write_bytes("sequence_id,subject_id\n001,Ren\xe9e\n".encode("latin-1"))
    (r / "map_short.csv").write_text("sequence_id,subject_id\n001\n")
    writer = cv2.VideoWriter(str(r / "long.mp4"), cv2.VideoWriter_fourcc(*"mp4v"), 1.0, (96, 96))
    for _ in range(720):  # 12 minutes at 1 fps, 18 kB
        writer.write(np.zeros((96, 96, 3), np.uint8))
    writer.release()
    for name, card_text in (("card_nested", "[" * 100_000 + "]" * 100_000), ("card_list", "[1, 2]")):
        shutil.copytree(m.MODEL, r / name)
        (r / name / "model_card.json").write_text(card_text)
    shutil.copytree(m.MODEL, r / "card_dim")
    card = json.loads((m.MODEL / "model_card.json").read_text())
    card["config"]["dim"] = 10**6
    (r / "card_dim" / "model_card.json").write_text(json.dumps(card))
    shutil.copytree(m.MODEL, r / "st_header")
    blob = bytearray((m.MODEL / "model.safetensors").read_bytes())
    blob[:8] = (2**60).to_bytes(8, "little")
    (r / "st_header" / "model.safetensors").write_bytes(bytes(blob))
    import hashlib

    card = json.loads((m.MODEL / "model_card.json").read_text())
    card["weights"]["sha256"] = hashlib.sha256(bytes(blob)).hexdigest()  # the card re-signed to match
    (r / "st_header" / "model_card.json").write_text(json.dumps(card))


def _enospc(monkeypatch) -> None:
    real_fsync, real_replace = os.fsync, os.replace

    def full(*a, **k):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full)
    monkeypatch.setattr(os, "replace", full)
    return real_fsync, real_replace


@pytest.fixture
def umask000():
    old = os.umask(0)
    yield
    os.umask(old)


@pytest.mark.slow  # ~0.5-5 s: kept out of the fast subset (<= 60 s in all)
def test_hostile_campaign(tmp_path, umask000, capsys, monkeypatch):
    """The cases that render no PDF (fast): >= 60 of them."""
    _campaign(tmp_path, capsys, monkeypatch, slow=False)


@pytest.mark.slow
def test_hostile_campaign_reports(tmp_path, umask000, capsys, monkeypatch):
    """The cases that render a PDF report (successes, full disk, damaged records found late)."""
    _campaign(tmp_path, capsys, monkeypatch, slow=True)


def _campaign(tmp_path, capsys, monkeypatch, *, slow: bool) -> None:
    w = h.build(tmp_path)
    w.backup_sha = h.sha(w.backup)  # type: ignore[attr-defined]
    _inputs(w)
    victim_sha = h.sha(w.victim)
    every = _cases(w)
    cases = [c for c in every if c.slow == slow]
    assert len(every) >= 60 and (slow or len(cases) >= 60)
    failures = []
    timings: list[tuple[float, str]] = []
    for case in cases:
        before = w.counts()
        t0 = time.perf_counter()
        capsys.readouterr()
        with monkeypatch.context() as mp:
            if case.enospc:
                _enospc(mp)
            try:
                code = main(case.argv)
            except SystemExit as exc:  # argparse
                code = exc.code if isinstance(exc.code, int) else 2
        out, err = capsys.readouterr()
        timings.append((time.perf_counter() - t0, case.name))
        lines = [ln for ln in err.splitlines() if ln.strip()]
        problems = []
        if code != case.code:
            problems.append(f"exit {code}, expected {case.code}")
        if len(lines) != (case.lines if case.lines is not None else 1 if case.code == 2 else len(lines)):
            problems.append(f"{len(lines)} stderr lines")
        if "Traceback" in err or "internal error" in err or "\x1b" in err:
            problems.append("traceback / internal error / escape code on stderr")
        after = w.counts()
        if not case.audit_may_grow and after != before or after["visits"] != before["visits"]:
            problems.append(f"database rows changed {before} -> {after}")
        if h.sha(w.victim) != victim_sha or h.mode(w.victim) != 0o644:
            problems.append("the victim file changed")
        if case.check is not None and not problems:
            try:
                if case.check(w, out, err) is False:
                    problems.append("check failed")
            except AssertionError as exc:
                problems.append(f"check failed: {exc}")
        if problems:
            failures.append(f"{case.name}: {'; '.join(problems)}: {err.strip()[-300:]!r}")
    with capsys.disabled():
        t, name = max(timings)
        print(f"{len(cases)} hostile cases in {sum(t for t, _ in timings):.1f} s (slowest: {name} {t:.1f} s)")
    assert not failures, f"{len(failures)} of {len(cases)} cases:\n" + "\n".join(failures)
    leftovers = [p.name for p in tmp_path.rglob("*.tmp") if not p.is_symlink()]
    assert leftovers == [], leftovers  # no temp file left behind by a failed write
