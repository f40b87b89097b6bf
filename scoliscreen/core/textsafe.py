"""Text that leaves the app for another program: a spreadsheet (CSV cells) or a terminal.

* :func:`spreadsheet_safe`: a CSV cell that a spreadsheet would run as a formula (it starts with
  ``=``, ``+``, ``-``, ``@``, a tab or a carriage return; OWASP "CSV injection") gets a leading
  single quote. Numbers stay numbers (an int or a float, or a string that is just a number such
  as ``-0.25``), so a column of probabilities still sorts and sums. Used by ``db export`` and
  the batch's results CSV.
* :func:`terminal_safe`: control characters (ESC sequences, CR, BEL, the C1 range, bidi
  overrides) in an ID, a note or a file name are shown as ``\\x1b``-style escapes, so printing
  a record cannot move the cursor, rewrite earlier lines or retitle the window. The CLI's
  printing path applies it to every line it prints.
"""

from __future__ import annotations

import re
import unicodedata

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def spreadsheet_safe(value):
    """``value`` as it may go into a CSV cell (see the module docstring)."""
    if isinstance(value, (bool, int, float)) or value is None:
        return value
    text = str(value)
    if text.startswith(FORMULA_START) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


def _escape(ch: str) -> str:
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def terminal_safe(text: str, *, keep_newlines: bool = True) -> str:
    """``text`` with every control / format character (but newline, and tab) escaped."""
    out = []
    for ch in str(text):
        if ch == "\n" and keep_newlines or ch == "\t":
            out.append(ch)
        elif unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp"):
            out.append(_escape(ch))
        else:
            out.append(ch)
    return "".join(out)
