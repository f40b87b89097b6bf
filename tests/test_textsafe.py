"""core.textsafe: CSV formula neutralising (numbers stay numbers) and terminal-safe text."""

from __future__ import annotations

import pytest

from scoliscreen.core.textsafe import spreadsheet_safe, terminal_safe


@pytest.mark.parametrize("cell, expected", [
    ("=1+1", "'=1+1"), ("+cmd", "'+cmd"), ("-2+3", "'-2+3"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\tx", "'\tx"), ("\rx", "'\rx"), ("P-0142", "P-0142"), ("", ""),
    ("-0.25", "-0.25"), ("+3", "+3"), ("-1e-3", "-1e-3"),  # numbers written as text stay numbers
    (-0.25, -0.25), (3, 3), (None, None), (True, True),
])
def test_spreadsheet_safe(cell, expected):
    assert spreadsheet_safe(cell) == expected


def test_terminal_safe_escapes_control_and_bidi_characters_only():
    raw = "P-1\x1b]0;pwned\x07\x1b[2J\r\u202eevil\u0085 ok\tgrün\n"
    safe = terminal_safe(raw)
    assert safe == "P-1\\x1b]0;pwned\\x07\\x1b[2J\\x0d\\u202eevil\\x85 ok\tgrün\n"
    assert "\n" not in terminal_safe("a\nb", keep_newlines=False)
