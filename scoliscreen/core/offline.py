"""Keep MediaPipe Tasks off the network and keep its audio dependency from loading.

MediaPipe Tasks wheels >= 0.10.30 link a usage logger into ``libmediapipe.so`` that posts
session reports through libcurl on a worker thread (a DNS lookup of a Google logging host on
the first landmarker; mediapipe issue 6291). Neither the C API nor the Python ``BaseOptions``
offers a switch (the open-source tree builds a dummy logger; the PyPI binary does not).

So :func:`block_network` routes every libcurl transfer of this process through a SOCKS5
proxy that lives on a Unix socket path that does not exist. ``socks5h`` hands name
resolution to the proxy, so libcurl does no DNS lookup, and connecting to the proxy fails
with ENOENT on an AF_UNIX socket: no packet is ever sent to any network address (not even
loopback). ``tests/test_offline.py`` proves it by running ``scoliscreen analyze`` under
``strace -f -e trace=network``. It must run before the first landmarker is created
(libcurl reads the proxy variables per transfer); :mod:`scoliscreen.core.pose` calls it
before importing mediapipe. docs/privacy.md explains it for clinics.

:func:`stub_sounddevice` puts an inert ``sounddevice`` module in ``sys.modules`` before
``import mediapipe``: mediapipe imports it for audio recording only (unused here), and the
real one runs ``ldconfig`` and the C compiler on every start to find PortAudio.
"""

from __future__ import annotations

import os
import sys
import types

# A path that never exists: the proxy cannot be reached, so nothing is sent anywhere.
DEAD_PROXY = "socks5h://localhost/nonexistent/scoliscreen-offline.sock"
PROXY_VARIABLES = ("ALL_PROXY", "all_proxy", "HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy")
NO_PROXY_VARIABLES = ("NO_PROXY", "no_proxy")


def block_network() -> None:
    """Point libcurl's proxy variables at an unreachable Unix-socket proxy (this process only)."""
    for name in PROXY_VARIABLES:
        os.environ[name] = DEAD_PROXY
    for name in NO_PROXY_VARIABLES:  # a NO_PROXY of '*' or the logging host would bypass the proxy
        os.environ.pop(name, None)


def network_blocked() -> bool:
    return all(os.environ.get(n) == DEAD_PROXY for n in PROXY_VARIABLES) and not any(
        os.environ.get(n) for n in NO_PROXY_VARIABLES
    )


def stub_sounddevice() -> None:
    """Make ``import sounddevice`` inside mediapipe a no-op unless the real one is already loaded."""
    if "sounddevice" in sys.modules:
        return
    stub = types.ModuleType("sounddevice")
    stub.__doc__ = "Inert stand-in installed by scoliscreen.core.offline (audio is not used)."

    def _unavailable(*_a, **_k):
        raise OSError("sounddevice is not available in ScoliScreen (audio is not used)")

    for name in ("InputStream", "OutputStream", "Stream", "rec", "play", "query_devices"):
        setattr(stub, name, _unavailable)
    sys.modules["sounddevice"] = stub


def import_mediapipe():
    """``import mediapipe`` with the network blocked and sounddevice stubbed; returns the module."""
    block_network()
    stub_sounddevice()
    import mediapipe

    return mediapipe
