"""evloop.py: what n concurrent waits cost asyncio: wall time and memory.

The C benchmark (lessons/09-event-loop/bench_evloop.c) runs this script and copies the rows it prints
into plots/data/evloop.csv, beside the C figures:

    part,series,n,reps,median_s,min_s,max_s,median_mb,cpu_s

For each n, REPS times: a forked child reads VmRSS from /proc/self/status, runs n coroutines
that each await asyncio.sleep(wait) under one asyncio.gather, reads VmHWM (the peak), and
reports the wall time (from before the first coroutine is made to after gather returns), the
CPU time, and the difference, the memory the waiting took. A child of its own per point, as in the C
benchmark, so that one point's memory is never counted by the next. Progress goes to stderr.
Standard library only.
"""

import argparse
import asyncio
import os
import statistics
import sys
import time


def status_kb(key):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return -1


async def waits(n, wait_s):
    await asyncio.gather(*(asyncio.sleep(wait_s) for _ in range(n)))


def one_point(n, wait_s):
    """Runs in a child: returns (seconds, added kB, CPU seconds)."""
    loop = asyncio.new_event_loop()  # made before the clock starts, like the C loop
    before = status_kb("VmRSS")
    cpu = time.process_time()
    start = time.perf_counter()
    loop.run_until_complete(waits(n, wait_s))
    took = time.perf_counter() - start
    cpu = time.process_time() - cpu
    added = status_kb("VmHWM") - before
    loop.close()
    return took, added, cpu


def in_child(n, wait_s):
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        took, added, cpu = one_point(n, wait_s)
        os.write(w, ("%.6f %d %.6f" % (took, added, cpu)).encode())
        os._exit(0)
    os.close(w)
    data = b""
    while True:
        chunk = os.read(r, 256)
        if not chunk:
            break
        data += chunk
    os.close(r)
    os.waitpid(pid, 0)
    took, added, cpu = data.split()
    return float(took), int(added), float(cpu)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--wait-ms", type=int, default=100)
    ap.add_argument("--sizes", default="100,1000,10000,100000")
    args = ap.parse_args()
    wait_s = args.wait_ms / 1000.0
    for n in (int(s) for s in args.sizes.split(",")):
        step = time.perf_counter()
        points = [in_child(n, wait_s) for _ in range(args.reps)]
        secs = sorted(p[0] for p in points)
        mb = statistics.median(p[1] for p in points) / 1024.0
        cpu = statistics.median(p[2] for p in points)
        print("wait,Python asyncio,%d,%d,%.5f,%.5f,%.5f,%.3f,%.5f"
              % (n, args.reps, statistics.median(secs), secs[0], secs[-1], mb, cpu), flush=True)
        print("  evloop  %-26s %6d waits of %d ms: %8.2f ms, +%.2f MB  (%.2f s)"
              % ("Python asyncio", n, args.wait_ms, statistics.median(secs) * 1e3, mb,
                 time.perf_counter() - step), file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
