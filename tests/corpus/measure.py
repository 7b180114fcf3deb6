"""Runs `python -m lib ARGS...` and writes its peak memory: `python -m tests.corpus.measure
PEAK_FILE ARGS...`.

The peak is this process's VmHWM, read as it ends. A parent's rusage cannot tell it: a child's
ru_maxrss starts from the parent's peak, which it inherits at fork (pytest's, here).
"""

from __future__ import annotations

import runpy
import sys
from pathlib import Path


def main() -> None:
    peak_file, args = Path(sys.argv[1]), sys.argv[2:]
    sys.argv = ["python -m lib", *args]
    try:
        runpy.run_module("lib", run_name="__main__", alter_sys=True)
    finally:
        status = Path("/proc/self/status").read_text().splitlines()
        kb = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
        peak_file.write_text(str(kb / 1024))


if __name__ == "__main__":
    main()
