"""Running a federation with Flower's deployment engine: the coordinator's SuperLink (which runs
the ServerApp) and each clinic's SuperNode (which runs the ClientApp), as real processes.

Security, as Flower documents it: TLS on the SuperLink (a CA, a server certificate for its
address) and SuperNode authentication (each clinic's ECDSA key pair; the coordinator registers
the public keys it trusts, a SuperNode proves it holds the private key). :func:`make_certificates`
writes all of it into one folder (owner-only). ``--insecure`` is refused except on loopback.
Runtime installation of app dependencies (``uv sync``) is switched off: nothing is downloaded.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from scoliscreen.core.errors import InputError, ScoliScreenError

LOOPBACK = ("127.0.0.1", "localhost", "::1")
CA_CERT, SERVER_CERT, SERVER_KEY, SITES_DIR = "ca.crt", "server.pem", "server.key", "sites"
APP_NAME = "scoliscreen-federated"


def parse_address(address: str) -> tuple[str, int]:
    host, sep, port = address.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise InputError(f"address must be HOST:PORT, got {address!r}")
    return host.strip("[]"), int(port)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_security(host: str, certificates: Path | None, insecure: bool) -> None:
    if insecure and certificates is not None:
        raise InputError("give either --certificates DIR or --insecure, not both")
    if insecure and not is_loopback(host):
        raise InputError(f"--insecure is allowed on loopback only (127.0.0.1, localhost, ::1), not {host}")
    if not insecure and certificates is None:
        raise InputError("give --certificates DIR (TLS and SuperNode keys; 'scoliscreen federated certificates') "
                         "or, on loopback only, --insecure")
    if certificates is not None and not (certificates / CA_CERT).is_file():
        raise InputError(f"{certificates}: no {CA_CERT} here (make one with 'scoliscreen federated certificates')")


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)


def make_certificates(folder: Path, hosts: list[str], sites: list[str], days: int = 365) -> list[Path]:
    """A CA, a server certificate for ``hosts`` (names or IPs of the coordinator) and an ECDSA
    key pair per site (OpenSSH format, as Flower's SuperNode authentication takes). The folder
    must be new or empty; everything is owner-only. Give each clinic ``ca.crt`` and its own
    ``sites/LABEL.key``; the coordinator keeps the rest."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    if folder.exists() and (folder.is_symlink() or not folder.is_dir() or any(folder.iterdir())):
        raise InputError(f"{folder}: must be a new or empty folder")
    if not sites or len(set(sites)) != len(sites) or not all(s.replace("-", "").replace("_", "").isalnum() for s in sites):
        raise InputError("site labels must be distinct, made of letters, digits, '-' and '_'")
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    (folder / SITES_DIR).mkdir(mode=0o700, exist_ok=True)
    os.chmod(folder, 0o700)
    now = dt.datetime.now(dt.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP384R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ScoliScreen federation CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
          .not_valid_after(now + dt.timedelta(days=days))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .sign(ca_key, hashes.SHA384()))
    key = ec.generate_private_key(ec.SECP384R1())
    alt: list[x509.GeneralName] = []
    for h in dict.fromkeys([*hosts, "127.0.0.1", "localhost"]):
        try:
            alt.append(x509.IPAddress(ipaddress.ip_address(h)))
        except ValueError:
            alt.append(x509.DNSName(h))
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hosts[0] if hosts else "localhost")]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=days))
            .add_extension(x509.SubjectAlternativeName(alt), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .sign(ca_key, hashes.SHA384()))
    pem = serialization.Encoding.PEM
    written = []
    for name, data in ((CA_CERT, ca.public_bytes(pem)), (SERVER_CERT, cert.public_bytes(pem)),
                       (SERVER_KEY, key.private_bytes(pem, serialization.PrivateFormat.PKCS8,
                                                      serialization.NoEncryption()))):
        _write_private(folder / name, data)
        written.append(folder / name)
    for site in sites:
        sk = ec.generate_private_key(ec.SECP384R1())
        priv = sk.private_bytes(pem, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption())
        pub = sk.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
        _write_private(folder / SITES_DIR / f"{site}.key", priv)
        _write_private(folder / SITES_DIR / f"{site}.pub", pub + b"\n")
        written += [folder / SITES_DIR / f"{site}.key", folder / SITES_DIR / f"{site}.pub"]
    return written


def _bin(name: str) -> str:
    """A Flower executable of this Python environment."""
    here = Path(sys.executable).parent / name
    found = str(here) if here.is_file() else shutil.which(name)
    if not found:
        raise ScoliScreenError(f"{name} not found: install the federated extra (pip install 'scoliscreen[federated]')")
    return found


PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "ftp_proxy", "socks_proxy")


def _env(home: Path) -> dict[str, str]:
    """The Flower processes' environment: their own FLWR_HOME, this Python's programs first, and no
    proxy (the coordinator is reached directly; core/offline.py's dead proxy is for MediaPipe)."""
    env = {k: v for k, v in os.environ.items() if k.lower() not in PROXY_VARIABLES}
    env["NO_PROXY"] = env["no_proxy"] = "*"
    env["FLWR_HOME"] = str(home)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def wait_port(host: str, port: int, timeout: float, proc: subprocess.Popen | None = None) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc is not None and proc.poll() is not None:
            raise ScoliScreenError(f"the Flower process ended early (exit {proc.returncode})")
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise ScoliScreenError(f"nothing answered on {host}:{port} within {timeout:.0f} s")


def _die_with_parent() -> None:
    """In a child, before exec: ask Linux to kill it when the process that started it dies
    (PR_SET_PDEATHSIG), so no Flower process outlives a crashed coordinator or clinic command."""
    if sys.platform.startswith("linux"):
        import ctypes

        try:
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG = 1
        except OSError:
            pass
    os.setsid()


def _popen(cmd: list[str], **kw) -> subprocess.Popen:
    return subprocess.Popen(cmd, preexec_fn=_die_with_parent, **kw)


def _stop(proc: subprocess.Popen | None, grace: float = 10.0) -> None:
    if proc is None or proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except OSError:
        proc.terminate()
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except OSError:
            proc.kill()
        proc.wait(5)


def write_app_project(folder: Path, config: dict[str, object]) -> Path:
    """The Flower app project ``flwr run`` bundles: only a pyproject naming our installed
    ServerApp and ClientApp and the run's settings (nothing else travels in the bundle)."""
    def toml_value(v: object) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, (int, float)):
            return repr(v)
        return '"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"'

    lines = ["[build-system]", 'requires = ["hatchling"]', 'build-backend = "hatchling.build"', "",
             "[project]", f'name = "{APP_NAME}"', 'version = "1.0.0"', "dependencies = []", "",
             "[tool.hatch.build.targets.wheel]", 'packages = ["."]', "",
             "[tool.flwr.app]", 'publisher = "scoliscreen"', "",
             "[tool.flwr.app.components]", 'serverapp = "scoliscreen.core.federated.flower_apps:server"',
             'clientapp = "scoliscreen.core.federated.flower_apps:client"', "", "[tool.flwr.app.config]"]
    lines += [f"{k} = {toml_value(v)}" for k, v in config.items()]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "pyproject.toml").write_text("\n".join(lines) + "\n")
    return folder


def write_connection(home: Path, host: str, port: int, certificates: Path | None) -> None:
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    addr = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    lines = ["[superlink]", 'default = "coordinator"', "", "[superlink.coordinator]", f'address = "{addr}"']
    lines += ["insecure = true"] if certificates is None else [f'root-certificates = "{certificates / CA_CERT}"']
    (home / "config.toml").write_text("\n".join(lines) + "\n")


@dataclass(frozen=True)
class RunSettings:
    rounds: int = 3
    min_clients: int = 2
    local_epochs: int = 1
    lr: float = 1e-3
    proximal_mu: float = 0.0
    base_model: str = ""


Log = Callable[[str], None]


def coordinate(address: str, out: Path, settings: RunSettings, *, certificates: Path | None = None,
               insecure: bool = False, timeout: float = 3600.0, log: Log | None = None) -> Path:
    """Start the SuperLink, register the trusted clinics' keys, run the federated training to the
    end (``flwr run``), write the aggregated model folder ``out`` and stop the SuperLink."""
    host, port = parse_address(address)
    check_security(host, certificates, insecure)
    if settings.rounds < 1 or settings.min_clients < 1:
        raise InputError("--rounds and --min-clients must be at least 1")
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise InputError(f"{out}: must be a new or empty folder")
    say = log or (lambda s: None)
    keys = sorted((certificates / SITES_DIR).glob("*.pub")) if certificates is not None else []
    with tempfile.TemporaryDirectory(prefix="scoliscreen-coord-") as tmp:
        home = Path(tmp) / "flwr"
        write_connection(home, host, port, certificates)
        app = write_app_project(Path(tmp) / "app", {
            "rounds": settings.rounds, "min-clients": settings.min_clients, "local-epochs": settings.local_epochs,
            "lr": settings.lr, "proximal-mu": settings.proximal_mu, "base-model": settings.base_model,
            "out-dir": str(out.resolve())})
        cmd = [_bin("flower-superlink"), "--host", host, "--port", str(port), "--database", str(Path(tmp) / "link.db"),
               "--disable-runtime-dependency-installation"]
        if certificates is None:
            cmd.append("--insecure")
        else:
            cmd += ["--ssl-certfile", str(certificates / SERVER_CERT), "--ssl-keyfile", str(certificates / SERVER_KEY),
                    "--ssl-ca-certfile", str(certificates / CA_CERT)]
            if keys:
                cmd.append("--enable-supernode-auth")
        env = _env(home)
        link_log = open(Path(tmp) / "superlink.log", "wb")
        link = _popen(cmd, env=env, stdout=link_log, stderr=subprocess.STDOUT)
        try:
            wait_port("127.0.0.1" if host in ("0.0.0.0", "::") else host, port, 60, link)
            say(f"SuperLink listening on {address} ({'TLS' if certificates else 'insecure, loopback'})")
            flwr = _bin("flwr")
            for key in keys:
                r = subprocess.run([flwr, "supernode", "register", str(key), "coordinator"], env=env,
                                   capture_output=True, text=True, timeout=60)
                if r.returncode != 0:
                    raise ScoliScreenError(f"could not register the SuperNode key {key.name}: {r.stdout[-300:]}")
                say(f"trusted clinic key: {key.stem}")
            out.mkdir(parents=True, exist_ok=True, mode=0o700)
            r = subprocess.run([flwr, "run", str(app), "coordinator", "--stream"], env=env, capture_output=True,
                               text=True, timeout=timeout, cwd=tmp)
            link_log.flush()
            tail = (Path(tmp) / "superlink.log").read_bytes()[-50_000:].decode("utf-8", "replace")
            (out / "federation.log").write_text(r.stdout[-200_000:] + r.stderr[-20_000:] + "\n--- SuperLink ---\n" + tail)
            os.chmod(out / "federation.log", 0o600)
            if r.returncode != 0 or not (out / "model_card.json").is_file():
                raise ScoliScreenError(f"the federated run did not finish (exit {r.returncode}); see {out / 'federation.log'}")
        except subprocess.TimeoutExpired:
            raise ScoliScreenError(f"the federated run did not finish within {timeout:.0f} s") from None
        finally:
            _stop(link)
            link_log.close()
    return out


def join_command(server: str, *, site: str, data: Path | None, records: str | None, certificates: Path | None,
                 insecure: bool, base_model: str = "", max_wait: float = 60.0, seed: int = 0) -> list[str]:
    """The ``flower-supernode`` command line of one clinic."""
    host, port = parse_address(server)
    check_security(host, certificates, insecure)
    node = [f'site="{site}"', f"seed={int(seed)}"]
    if data is not None:
        node.append(f'data="{data.resolve()}"')
    else:
        node.append(f'records="{records or ""}"')
    if base_model:
        node.append(f'base-model="{base_model}"')
    # no --max-wait-time: it also bounds the wait for a coordinator that is not up yet; join() ends
    # the node once the coordinator, having been reached, is gone for ``max_wait`` seconds
    cmd = [_bin("flower-supernode"), "--superlink", server, "--node-config", " ".join(node),
           "--port", str(free_port())]
    if certificates is None:
        cmd.append("--insecure")
    else:
        cmd += ["--root-certificates", str(certificates / CA_CERT)]
        key = certificates / SITES_DIR / f"{site}.key"
        if key.is_file():
            cmd += ["--auth-supernode-private-key", str(key)]
    return cmd


def join(server: str, *, max_wait: float = 60.0, **kw) -> int:
    """Run this clinic's SuperNode until the coordinator has been unreachable for ``max_wait``
    seconds after it was reached (the run is over), or until interrupted. A SuperNode that gives
    up early (the coordinator not up yet, or not yet trusting its key) is started again."""
    host, port = parse_address(server)
    cmd = join_command(server, max_wait=max_wait, **kw)
    previous = signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run the finally below
    proc: subprocess.Popen | None = None
    try:
        with tempfile.TemporaryDirectory(prefix="scoliscreen-node-") as tmp:
            seen, last_ok = False, time.monotonic()
            while True:
                if proc is None or proc.poll() is not None:
                    if proc is not None and seen and time.monotonic() - last_ok > max_wait:
                        break
                    proc = _popen(cmd, env=_env(Path(tmp) / "flwr"))
                try:
                    with socket.create_connection((host, port), timeout=1.0):
                        seen, last_ok = True, time.monotonic()
                except OSError:
                    if seen and time.monotonic() - last_ok > max_wait:
                        break
                time.sleep(1.0)
            return 0
    except KeyboardInterrupt:
        return 130
    finally:
        _stop(proc)
        signal.signal(signal.SIGTERM, previous)


__all__ = ["RunSettings", "check_security", "coordinate", "free_port", "is_loopback", "join", "join_command",
           "make_certificates", "parse_address", "write_app_project", "write_connection"]
