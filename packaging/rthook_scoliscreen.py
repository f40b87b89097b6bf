"""PyInstaller runtime hook (runs before the app in the bundle only).

mediapipe.tasks.python.vision imports ``matplotlib.pyplot`` at import time, for drawing helpers
that ScoliScreen never calls. The bundle leaves matplotlib out (about 90 MB with Pillow and
fontTools, and a system font scan on the first start), so a stub stands in for it: importing
works, and any use raises a clear ImportError.
"""

import sys
import types


class _Unbundled(types.ModuleType):
    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        raise ImportError(f"{self.__name__}.{name}: matplotlib is not part of the ScoliScreen bundle")


if "matplotlib" not in sys.modules:
    _mpl = _Unbundled("matplotlib")
    _mpl.__path__ = []  # a package, so "import matplotlib.pyplot" resolves to the stub below
    _plt = _Unbundled("matplotlib.pyplot")
    _mpl.pyplot = _plt
    sys.modules["matplotlib"] = _mpl
    sys.modules["matplotlib.pyplot"] = _plt
