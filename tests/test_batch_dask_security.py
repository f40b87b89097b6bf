"""Issue 24 B.3: the batch's Dask LocalCluster is TLS with mutual authentication (a client without
its throw-away credentials cannot connect), and ``--scheduler`` refuses plain tcp to another machine.
Issue 25 point 4: the cluster's workers run one math thread each; issue 26: they carry the lifeline."""

from __future__ import annotations

import pytest

from scoliscreen.app.cluster import TlsFiles, check_scheduler
from scoliscreen.core.errors import InputError


@pytest.mark.parametrize("address", ["tcp://10.0.0.5:8786", "tcp://scheduler-host:8786", "tcp://[2001:db8::1]:8786"])
def test_plain_tcp_to_another_machine_is_refused(address):
    with pytest.raises(InputError, match="plain tcp to another machine"):
        check_scheduler(address)


def test_scheduler_addresses_and_tls_files(tmp_path):
    for ok in ("tcp://127.0.0.1:8786", "tcp://localhost:8786", "tcp://[::1]:8786"):
        check_scheduler(ok)  # this machine: allowed
    pem = [tmp_path / n for n in ("ca.pem", "me.pem", "me.key")]
    for p in pem:
        p.write_text("x")
    files = TlsFiles(*map(str, pem))
    check_scheduler("tls://10.0.0.5:8786", files)
    with pytest.raises(InputError, match="needs --tls-cert, --tls-key"):
        check_scheduler("tls://10.0.0.5:8786", TlsFiles(ca=str(pem[0])))
    with pytest.raises(InputError, match="--tls-key .*no such file"):
        check_scheduler("tls://10.0.0.5:8786", TlsFiles(str(pem[0]), str(pem[1]), str(tmp_path / "gone.key")))
    with pytest.raises(InputError, match="need a tls:// address"):
        check_scheduler("tcp://127.0.0.1:8786", files)
    with pytest.raises(InputError, match="own credentials"):
        check_scheduler(None, files, local_cluster=True)
    for bad in ("10.0.0.5:8786", "tls://10.0.0.5", "http://x:1", "tcp://:8786"):
        with pytest.raises(InputError, match="give an address like"):
            check_scheduler(bad)


def test_cli_refuses_plain_tcp_with_one_line(tmp_path, capsys):
    from scoliscreen.cli import main

    (tmp_path / "clips").mkdir()
    code = main(["batch", str(tmp_path / "clips"), "--scheduler", "tcp://10.0.0.5:8786",
                 "--db", str(tmp_path / "db.sqlite3")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "tls://" in err[0]
    assert not (tmp_path / "db.sqlite3").exists()  # refused before the records open
    assert main(["batch", str(tmp_path / "clips"), "--workers", "100000"]) == 2
    assert "between 1 and 64" in capsys.readouterr().err


@pytest.mark.slow
def test_local_cluster_refuses_a_client_without_its_credentials(tmp_path):
    pytest.importorskip("distributed")
    from distributed import Client, Security

    from scoliscreen.app.cluster import DaskEngine

    engine = DaskEngine(local_workers=1)
    try:
        address = engine.scheduler
        assert address.startswith("tls://127.0.0.1:"), address
        intruders = [
            lambda: Client(address, timeout=3),  # no certificate at all
            lambda: Client(address, timeout=3, security=Security.temporary()),  # a certificate of another CA
            lambda: Client(address.replace("tls://", "tcp://"), timeout=3),  # plain tcp to the same port
        ]
        for connect in intruders:
            with pytest.raises((OSError, TimeoutError, TypeError, ValueError)):
                client = connect()
                client.close()  # pragma: no cover - only reached if it connected

        def setup() -> tuple[int, int, bool]:
            import threading

            import cv2
            import torch

            return (torch.get_num_threads(), cv2.getNumThreads(),
                    any(t.name == "scoliscreen-lifeline" for t in threading.enumerate()))

        (threads, cv_threads, lifeline), = engine.client.run(setup).values()  # its own client works
        assert (threads, cv_threads, lifeline) == (1, 1, True)

        # --scheduler tls://... with the cluster's CA and a client certificate (PEM files) connects
        sec = engine.cluster.security
        files = []
        for name, pem in (("ca.pem", sec.tls_ca_file), ("me.pem", sec.tls_client_cert), ("me.key", sec.tls_client_key)):
            (tmp_path / name).write_text(pem)
            files.append(str(tmp_path / name))
        joined = DaskEngine(scheduler=address, tls=TlsFiles(*files))
        try:
            assert joined.describe() == f"Dask ({address}, 1 worker)"
            assert joined.client.run(setup) == engine.client.run(setup)
        finally:
            joined.close()
    finally:
        engine.close()
