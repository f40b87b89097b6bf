"""Child process of tests/test_campaign.py: runs many ``scoliscreen`` command lines in one
interpreter (torch and the model load once) and reports, per case, the exit status and
everything written to stderr (Python's and the native fd 2), then its own peak RSS.

    python tests/campaign_runner.py CASES.json RESULTS.json

A case that kills the interpreter (a signal) ends the run; the parent sees the signal.
"""

from __future__ import annotations

import io
import json
import os
import resource
import sys
import tempfile


def run_case(argv: list[str]) -> tuple[int, str]:
    from scoliscreen.cli import main

    sys.stdout.flush()
    sys.stderr.flush()
    saved_fd = os.dup(2)
    py_err = io.StringIO()
    with tempfile.TemporaryFile() as native:
        os.dup2(native.fileno(), 2)
        old_err, sys.stderr = sys.stderr, py_err
        old_out, sys.stdout = sys.stdout, io.StringIO()
        try:
            try:
                code = main(argv)
            except SystemExit as exc:  # argparse
                code = exc.code if isinstance(exc.code, int) else 2
        finally:
            sys.stderr, sys.stdout = old_err, old_out
            os.dup2(saved_fd, 2)
            os.close(saved_fd)
        native.seek(0)
        text = native.read().decode("utf-8", "replace") + py_err.getvalue()
    return int(code), text


def peak_rss_mb() -> float:
    """This process's own peak RSS (VmHWM of its address space). ``ru_maxrss`` would also count
    the pytest process this runner was forked from (Linux keeps the high-water mark over exec)."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> int:
    cases = json.loads(open(sys.argv[1]).read())
    results = []
    for case in cases:
        code, err = run_case(case["argv"])
        results.append({"name": case["name"], "argv": case["argv"], "code": code, "stderr": err,
                        "maxrss_mb": peak_rss_mb()})
        with open(sys.argv[2], "w") as fh:  # written after every case: a crash keeps the earlier ones
            json.dump(results, fh, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
