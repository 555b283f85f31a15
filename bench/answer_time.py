#!/usr/bin/env python3
"""Time a lore command to its answer (its first line of output) and to its exit.

    bench/answer_time.py RUNS TOUCH -- LORE ARGS...

Before each run, TOUCH (a file) gets a new modification time, so that the command
loads the catalog in full and writes a new index: lore prints the answer first and
writes the index after. Prints the median and minimum of both times.
"""
import os
import statistics
import subprocess
import sys
import time


def main():
    if len(sys.argv) < 5 or sys.argv[3] != "--":
        sys.exit(__doc__)
    runs, touch, command = int(sys.argv[1]), sys.argv[2], sys.argv[4:]
    answers, exits = [], []
    for _ in range(runs):
        os.utime(touch)
        start = time.monotonic()
        p = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        p.stdout.readline()
        answers.append(time.monotonic() - start)
        p.stdout.read()
        p.wait()
        exits.append(time.monotonic() - start)
    print(
        f"answer: median {statistics.median(answers):.2f} s (min {min(answers):.2f}); "
        f"exit: median {statistics.median(exits):.2f} s (min {min(exits):.2f}); {runs} runs"
    )


if __name__ == "__main__":
    main()
