"""The Qt binding must not leak/drop references on void calls and signal emits.

PySide6 6.12.0 on CPython 3.11 decrements None's refcount on every void method call and
True's on every signal emit; the live view aborts the interpreter within seconds
("Fatal Python error: none_dealloc"). pyproject pins PySide6 below it; this guards upgrades.
Runs in a subprocess because the failure is an interpreter abort.
"""

import subprocess
import sys

CODE = """
import os, sys
os.environ["QT_QPA_PLATFORM"] = "offscreen"
from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QApplication, QLabel
app = QApplication([])
label = QLabel()
class Emitter(QObject):
    fired = Signal(bool)
e = Emitter()
n0, t0 = sys.getrefcount(None), sys.getrefcount(True)
for _ in range(2000):
    label.setText("x")
    e.fired.emit(True)
print(sys.getrefcount(None) - n0, sys.getrefcount(True) - t0)
"""


def test_void_calls_and_emits_keep_refcounts():
    proc = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    d_none, d_true = (int(v) for v in proc.stdout.split())
    assert abs(d_none) < 50 and abs(d_true) < 50, (d_none, d_true)
