#!/usr/bin/env python3
"""Times whole commands interleaved: run 1 of each, then run 2 of each, ... so drift in
the machine's load hits every command alike. Prints the median, the quartiles and each
command's ratio to the first one. Usage:

    scripts/interleave.py [--runs N] [--warmup N] [--stdin FILE] -- 'CMD A' 'CMD B' ...

Each command is split with shlex and run without a shell, stdout and stderr discarded,
stdin from FILE (a hook's payload) or /dev/null.
"""
import argparse
import shlex
import statistics
import subprocess
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=300)
    ap.add_argument("--warmup", type=int, default=20)
    ap.add_argument("--stdin", default=None)
    ap.add_argument("commands", nargs="+")
    a = ap.parse_args()
    argvs = [shlex.split(c) for c in a.commands]
    data = open(a.stdin, "rb").read() if a.stdin else b""
    times = [[] for _ in argvs]
    for i in range(a.warmup + a.runs):
        for j, argv in enumerate(argvs):
            start = time.perf_counter()
            subprocess.run(argv, input=data, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
            elapsed = time.perf_counter() - start
            if i >= a.warmup:
                times[j].append(elapsed)
    base = statistics.median(times[0])
    print("| command | median | p25–p75 | ratio to the first |")
    print("|---|---:|---:|---:|")
    for cmd, t in zip(a.commands, times):
        q = statistics.quantiles(t, n=4)
        med = statistics.median(t)
        print(f"| `{cmd}` | {med * 1000:.2f} ms | {q[0] * 1000:.2f}–{q[2] * 1000:.2f} ms | {med / base:.3f} |")


if __name__ == "__main__":
    main()
