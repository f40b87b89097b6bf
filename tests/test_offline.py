"""Issue 14: no data leaves the laptop. ``scoliscreen analyze`` on a real video runs under
``strace -f`` (native code included: MediaPipe's usage logger posts from libmediapipe.so
through libcurl) and must make no connect()/send*() to any non-Unix socket. It also must not
run ldconfig or the C compiler (sounddevice, pulled in by ``import mediapipe``, did).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from scoliscreen.core import offline

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "resources" / "samples" / "sports2d_side_walk_single.mp4"
LOCAL_FAMILIES = ("AF_UNIX", "AF_LOCAL", "AF_NETLINK")


def network_attempts(trace: str) -> list[str]:
    """connect/sendto/sendmsg/sendmmsg lines of an ``strace -f -e trace=network`` log that
    reach a non-local socket (by address family, or by the family the fd was created with)."""
    fam: dict[int, str] = {}
    bad = []
    for line in trace.splitlines():
        ms = re.search(r"socket\((AF_\w+),.*\)\s*=\s*(\d+)", line)
        if ms:
            fam[int(ms.group(2))] = ms.group(1)
            continue
        mc = re.search(r"\b(connect|sendto|sendmsg|sendmmsg)\((\d+),", line)
        if not mc:
            continue
        family = re.search(r"sa_family=(AF_\w+)", line)
        f = family.group(1) if family else fam.get(int(mc.group(2)), "unknown")
        if f not in LOCAL_FAMILIES:
            bad.append(line)
    return bad


def test_parser_flags_inet_and_ignores_unix():
    log = "\n".join([
        '11 socket(AF_INET, SOCK_DGRAM|SOCK_CLOEXEC, IPPROTO_IP) = 9',
        '11 connect(9, {sa_family=AF_INET, sin_port=htons(53), sin_addr=inet_addr("10.0.0.53")}, 16) = 0',
        '11 sendmmsg(9, [{msg_hdr={msg_name=NULL}}], 2, MSG_NOSIGNAL) = 2',
        '12 socket(AF_UNIX, SOCK_STREAM, 0) = 7',
        '12 connect(7, {sa_family=AF_UNIX, sun_path="/nonexistent/x.sock"}, 40) = -1 ENOENT',
        '12 sendto(7, "x", 1, 0, NULL, 0) = 1',
    ])
    assert len(network_attempts(log)) == 2


def test_import_mediapipe_blocks_the_network_and_stubs_sounddevice(monkeypatch):
    monkeypatch.setenv("NO_PROXY", "*")
    monkeypatch.setenv("https_proxy", "http://proxy.example:3128")
    monkeypatch.delitem(sys.modules, "sounddevice", raising=False)
    for name in offline.PROXY_VARIABLES + offline.NO_PROXY_VARIABLES:
        monkeypatch.setenv(name, os.environ.get(name, ""))  # restored after the test
    offline.block_network()
    offline.stub_sounddevice()
    assert offline.network_blocked()
    assert os.environ["https_proxy"] == offline.DEAD_PROXY and "NO_PROXY" not in os.environ
    import sounddevice

    with pytest.raises(OSError, match="not available"):
        sounddevice.InputStream()


@pytest.mark.slow
def test_analyze_makes_no_network_attempt(tmp_path):
    if shutil.which("strace") is None:
        if os.environ.get("CI"):
            pytest.fail("strace is missing: .ci/run installs it (apt-get install strace)")
        pytest.skip("strace is not installed (apt-get install strace)")
    trace = tmp_path / "strace.log"
    env = dict(os.environ, SCOLISCREEN_DATA_DIR=str(tmp_path / "userdata"))
    for name in offline.PROXY_VARIABLES + offline.NO_PROXY_VARIABLES:
        env.pop(name, None)  # the app must block the network by itself
    cmd = ["strace", "-f", "-qq", "-e", "trace=network,execve", "-o", str(trace),
           sys.executable, "-m", "scoliscreen", "analyze", str(SAMPLE), "--no-record"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=env, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "Quality:" in proc.stdout and "Model:" in proc.stdout  # pose estimation and the model really ran
    log = trace.read_text()
    assert "PoseLandmarker" not in log  # (sanity: strace logs syscalls, not Python)
    assert not network_attempts(log), "\n".join(network_attempts(log)[:10])
    # what MediaPipe's logger tried, now kept on a Unix path that does not exist
    assert "scoliscreen-offline.sock" in log
    execs = [ln for ln in log.splitlines() if "execve(" in ln and "ENOENT" not in ln]
    assert len(execs) == 1, execs  # only the interpreter itself: no ldconfig, no cc
