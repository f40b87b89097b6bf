"""Issue 22 §5: federated training with Flower's deployment engine, real processes on loopback:
two clinics, two rounds, tiny simulated data; TLS + SuperNode keys; an untrusted node is kept
out; what a clinic sends holds no pose, record, id or file name."""

from __future__ import annotations

import csv
import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

pytest.importorskip("flwr")

from scoliscreen.cli import main
from scoliscreen.core.errors import InputError
from scoliscreen.core.federated import deploy


@pytest.fixture(scope="module")
def sites(tmp_path_factory):
    from scoliscreen.core.sim import simulate_dataset

    root = tmp_path_factory.mktemp("fl")
    out = {}
    for label, world, seed in (("clinic-b", "B", 1), ("clinic-c", "C", 2)):
        simulate_dataset(root / label, subjects=8, clips_per_subject=2, seed=seed, world=world, workers=1)
        out[label] = root / label
    return out


def _join(site: str, folder: Path, server: str, *extra: str, log: Path | None = None) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "scoliscreen", "federated", "join", str(folder), "--server", server, "--site", site,
           "--max-wait", "3", *extra]
    out = open(log, "wb") if log else subprocess.DEVNULL
    return subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def _finish(procs: list[subprocess.Popen], timeout: float = 60) -> list[int]:
    codes = []
    for p in procs:
        try:
            codes.append(p.wait(timeout))
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, 9)
            codes.append(-9)
    return codes


def test_insecure_only_on_loopback_and_certificates_folder_rules(tmp_path):
    with pytest.raises(InputError, match="loopback only"):
        deploy.check_security("10.1.2.3", None, True)
    with pytest.raises(InputError, match="--certificates"):
        deploy.check_security("127.0.0.1", None, False)
    assert main(["federated", "coordinate", "--address", "192.168.1.5:9000", "--insecure", "--out",
                 str(tmp_path / "o")]) == 2
    files = deploy.make_certificates(tmp_path / "certs", ["127.0.0.1"], ["clinic-a", "clinic-b"])
    assert all(f.stat().st_mode & 0o077 == 0 for f in files) and (tmp_path / "certs").stat().st_mode & 0o077 == 0
    assert (tmp_path / "certs" / "sites" / "clinic-a.pub").read_text().startswith("ecdsa-sha2-nistp384 ")
    with pytest.raises(InputError, match="new or empty"):
        deploy.make_certificates(tmp_path / "certs", ["127.0.0.1"], ["x"])


@pytest.mark.slow
def test_two_clinics_two_rounds_with_tls_and_supernode_keys(tmp_path, sites):
    trusted = tmp_path / "certs"
    deploy.make_certificates(trusted, ["127.0.0.1"], list(sites))
    other = tmp_path / "other"  # a node whose key the coordinator was never given
    deploy.make_certificates(other, ["127.0.0.1"], ["clinic-b"])
    (other / "ca.crt").unlink()
    (other / "ca.crt").write_bytes((trusted / "ca.crt").read_bytes())  # it trusts the server, but is not trusted
    addr = f"127.0.0.1:{deploy.free_port()}"
    nodes = [_join(s, f, addr, "--certificates", str(trusted), log=tmp_path / f"{s}.log") for s, f in sites.items()]
    stranger = _join("clinic-b", sites["clinic-b"], addr, "--certificates", str(other), log=tmp_path / "stranger.log")
    out = tmp_path / "federated-model"
    t0 = time.monotonic()
    try:
        rc = main(["federated", "coordinate", "--address", addr, "--rounds", "2", "--min-clients", "2",
                   "--out", str(out), "--certificates", str(trusted), "--timeout", "900"])
    finally:
        codes = _finish(nodes + [stranger])
    logs = "\n".join(f"--- {p.name}\n" + p.read_text(errors="replace")[-1500:] for p in tmp_path.glob("*.log"))
    assert rc == 0, ((out / "federation.log").read_text()[-3000:] if (out / "federation.log").exists() else "") + logs
    card = json.loads((out / "model_card.json").read_text())
    fed = card["federated"]
    assert fed["rounds"] == 2 and sorted(s["site"] for s in fed["sites"]) == sorted(sites)
    assert all(s["subjects"] == 8 for s in fed["sites"])
    log = (out / "federation.log").read_text()
    assert "[ROUND 2/2]" in log and "Received 2 results and 0 failures" in log
    assert codes[:2] == [0, 0], codes
    from scoliscreen.core.model.predict import Screener

    model = Screener.load(out)
    assert model.model_provenance["is_shipped"] is False  # new weights: a local model under its own hash
    assert all(f.stat().st_mode & 0o077 == 0 for f in out.iterdir())
    print(f"federated run with TLS and keys: {time.monotonic() - t0:.0f} s")


class _Tap:
    """A loopback TCP relay that keeps every byte a clinic's node sends to the coordinator."""

    def __init__(self, upstream: tuple[str, int]):
        self.upstream = upstream
        self.sent = bytearray()
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.stop = False
        threading.Thread(target=self._serve, daemon=True).start()

    def _pump(self, a, b, keep):
        try:
            while data := a.recv(65536):
                if keep:
                    self.sent.extend(data)
                b.sendall(data)
        except OSError:
            pass
        finally:
            for s in (a, b):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def _serve(self):
        self.sock.settimeout(0.5)
        while not self.stop:
            try:
                client, _ = self.sock.accept()
            except OSError:
                continue
            try:
                up = socket.create_connection(self.upstream)
            except OSError:
                client.close()
                continue
            threading.Thread(target=self._pump, args=(client, up, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(up, client, False), daemon=True).start()


@pytest.mark.slow
def test_what_a_clinic_sends_holds_no_pose_record_id_or_file_name(tmp_path, sites):
    port = deploy.free_port()
    tap = _Tap(("127.0.0.1", port))
    tapped = f"127.0.0.1:{tap.port}"
    direct = f"127.0.0.1:{port}"
    nodes = [_join("clinic-b", sites["clinic-b"], tapped, "--insecure"),
             _join("clinic-c", sites["clinic-c"], direct, "--insecure")]
    try:
        rc = main(["federated", "coordinate", "--address", direct, "--rounds", "1", "--min-clients", "2",
                   "--out", str(tmp_path / "m"), "--insecure", "--timeout", "900"])
    finally:
        _finish(nodes)
        tap.stop = True
    assert rc == 0
    sent = bytes(tap.sent)
    assert b"clinic-b" in sent  # the capture sees plain content: the site label is meant to be sent
    with open(sites["clinic-b"] / "labels.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    forbidden = {str(sites["clinic-b"]), "labels.csv", "poses/", ".npz"}
    forbidden |= {Path(r["file"]).name for r in rows} | {r["subject_id"] for r in rows}
    leaks = sorted(s for s in forbidden if s.encode() in sent)
    assert not leaks, leaks
    assert len(sent) > 100_000  # the parameters did travel through the tap
