"""Work around reference-count bugs of the installed PySide6 (seen in 6.12.0 on CPython 3.11).

Two bindings there drop references they never took:

* every Python-side ``signal.emit(...)`` loses one reference to ``True`` (its return value);
* every call of a ``void`` Qt method (``widget.update()``, ``label.setText()``,
  ``QPainter.drawLine()``, ``app.processEvents()`` ...) loses one reference to ``None``.

``None`` and ``True`` start with a few thousand references, so after a few thousand such calls
— seconds of live video with a skeleton overlay, or one analysis — the interpreter aborts with
"Fatal Python error: none_dealloc" / "bool_dealloc".

:func:`apply` measures whether the installed PySide6 has these bugs and, only if it does,
makes ``None``, ``True`` and ``False`` effectively immortal by raising their reference counts
by 2**40 — what CPython 3.12+ does for them anyway (PEP 683), so nothing else changes. It runs
once, when ``scoliscreen.gui`` or ``scoliscreen.workers`` is imported, before any widget exists.
"""

from __future__ import annotations

import ctypes
import platform
import sys

_BOOST = 1 << 40
_state = {"checked": False, "leaks": ()}


def _add_refs(obj, n: int) -> None:
    ctypes.c_ssize_t.from_address(id(obj)).value += n


def measure_leaks(n: int = 64) -> dict:
    """References to None / True lost per call of a void method and of ``emit`` (0 when fine)."""
    from PySide6.QtCore import QObject, Signal

    class _Probe(QObject):
        sig = Signal()

    probe = _Probe()
    out = {}
    before = sys.getrefcount(True)
    for _ in range(n):
        probe.sig.emit()
    lost = before - sys.getrefcount(True)
    if lost > 0:
        _add_refs(True, lost)  # give back what the probe itself lost
    out["emit_true"] = lost / n
    before = sys.getrefcount(None)
    for _ in range(n):
        probe.setObjectName("probe")
    lost = before - sys.getrefcount(None)
    if lost > 0:
        _add_refs(None, lost)
    out["void_none"] = lost / n
    return out


def apply() -> tuple:
    """Apply the workaround if needed (idempotent). Returns the leaks found, e.g. ("None", "True")."""
    if _state["checked"]:
        return _state["leaks"]
    _state["checked"] = True
    if platform.python_implementation() != "CPython" or sys.version_info >= (3, 12):
        return ()  # None and the bools are immortal there; the lost references are harmless
    leaks = measure_leaks()
    found = []
    if leaks["void_none"] >= 0.5:
        found.append("None")
        _add_refs(None, _BOOST)
    if leaks["emit_true"] >= 0.5:
        found.append("True")
    if found:
        _add_refs(True, _BOOST)
        _add_refs(False, _BOOST)
    _state["leaks"] = tuple(found)
    return _state["leaks"]
