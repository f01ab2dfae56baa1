#!/usr/bin/env python3
"""Runs a command several times; prints the best wall time (s) and the peak RSS (KiB).

    python3 bench/measure.py RUNS COMMAND [ARG...]

Output, one line: `SECONDS PEAK_RSS_KIB EXIT_STATUS`. Standard output of the command is
discarded; its standard error is shown.
"""

import os
import subprocess
import sys
import time


def main():
    runs = int(sys.argv[1])
    command = sys.argv[2:]
    best = None
    peak = 0
    status = 0
    for _ in range(runs):
        start = time.perf_counter()
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - start
        best = elapsed if best is None else min(best, elapsed)
        peak = max(peak, usage.ru_maxrss)
    print("%.4f %d %d" % (best, peak, os.waitstatus_to_exitcode(status)))


if __name__ == "__main__":
    main()
