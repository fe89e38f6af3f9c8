"""pools.py: the speedup benchmark's two workloads, in Python, on concurrent.futures' pools.

The C benchmark (lessons/05-pools/bench_speedup.c) runs this script with the same parameters as
its own run, and copies the rows it prints into plots/data/speedup.csv:

    workload,pool,workers,median_s,min_s,max_s,speedup

- io: TASKS tasks that each sleep IO_MS milliseconds (time.sleep releases the GIL, as waiting
  on a socket does), mapped over ThreadPoolExecutor and ProcessPoolExecutor.
- cpu: the same prime-counting kernel as the C workload (trial division by odd numbers, on
  numbers near 10^9), split into CPU_TASKS equal ranges, CPU_MS milliseconds of work in all
  when run on one worker. Calibrated here: Python runs the kernel far slower than C, so it gets
  a shorter range for the same time. Threads hold the GIL while they compute, so they take
  turns: no speedup. Processes each have their own interpreter and GIL: they use every core.

Speedup is against one worker of the same pool. Progress goes to stderr, one line per point.
Standard library only.
"""

import argparse
import contextlib
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

CPU_BASE = 1_000_000_000  # where the ranges start, as H_CPU_BASE in harness/workload.h


def is_prime(n):
    """Trial division by 2, then by odd numbers up to the square root: slow on purpose."""
    if n < 2:
        return False
    if n % 2 == 0:
        return n == 2
    d = 3
    while d * d <= n:
        if n % d == 0:
            return False
        d += 2
    return True


def count_primes(bounds):
    lo, hi = bounds
    return sum(1 for n in range(lo, hi) if is_prime(n))


def sleep_task(ms):
    time.sleep(ms / 1000)
    return ms


def calibrate(ms):
    """A range length whose prime count takes about ms milliseconds of CPU time here."""
    n = 16
    while True:
        start = time.thread_time()
        count_primes((CPU_BASE, CPU_BASE + n))
        took = time.thread_time() - start
        if took >= ms / 4000 or n > 1 << 30:  # a quarter of the target, then scale
            return max(1, int(n * ms / 1000 / took)) if took > 0 else n
        n *= 2


def expected_counts(chunks):
    """The prime count of each range by a segmented sieve: the answers, much sooner."""
    lo, hi = chunks[0][0], chunks[-1][1]
    root = int(hi**0.5) + 1
    small = bytearray([1]) * (root + 1)
    composite = bytearray(hi - lo)
    for p in range(2, root + 1):
        if small[p]:
            small[p * p :: p] = bytes(len(small[p * p :: p]))
            first = max(p * p, (lo + p - 1) // p * p)
            composite[first - lo :: p] = b"\1" * len(composite[first - lo :: p])
    return [hi_ - lo_ - sum(composite[lo_ - lo : hi_ - lo]) for lo_, hi_ in chunks]


def split(total, parts):
    """parts consecutive ranges from CPU_BASE covering total numbers, as equal as can be."""
    edges = [CPU_BASE + total * i // parts for i in range(parts + 1)]
    return list(zip(edges[:-1], edges[1:]))


def warm_up(executor, workers):
    """Gets every worker started before anything is timed (pools start workers lazily)."""
    list(executor.map(sleep_task, [1] * (2 * workers)))


def timed_map(executor, fn, items, expect):
    start = time.perf_counter()
    result = list(executor.map(fn, items))
    took = time.perf_counter() - start
    if result != expect:
        raise SystemExit("pools.py: a pool returned wrong results")
    return took


def sweep(workload, pool, executor_class, fn, items, expect, workers_list, reps):
    """Times reps rounds over executors of every size, all started beforehand: taking the sizes
    in turn within each round spreads a burst of noise over every point instead of one."""
    times = {w: [] for w in workers_list}
    with contextlib.ExitStack() as stack:
        executors = {}
        for w in workers_list:
            executors[w] = stack.enter_context(executor_class(max_workers=w))
            warm_up(executors[w], w)
        for r in range(reps):
            started = time.perf_counter()
            for w in workers_list:
                times[w].append(timed_map(executors[w], fn, items, expect))
            print(f"  speedup   {workload:<3} {pool:<14} round {r + 1} of {reps}, "
                  f"{workers_list[0]} to {workers_list[-1]} workers  "
                  f"({time.perf_counter() - started:.2f} s)", file=sys.stderr, flush=True)
    base = statistics.median(times[workers_list[0]])
    for w in workers_list:
        median = statistics.median(times[w])
        print(f"{workload},{pool},{w},{median:.6f},{min(times[w]):.6f},{max(times[w]):.6f},"
              f"{base / median:.3f}", flush=True)
        print(f"            {workload:<3} {pool:<14} {w:2} workers: median {median:.4f} s, "
              f"speedup {base / median:5.2f}x", file=sys.stderr, flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--io-ms", type=int, default=15)
    ap.add_argument("--tasks", type=int, default=32)
    ap.add_argument("--cpu-ms", type=int, default=150)
    ap.add_argument("--cpu-tasks", type=int, default=64)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--workers", default="1,2,4,8,16,32")
    args = ap.parse_args()
    workers_list = [int(w) for w in args.workers.split(",")]

    chunks = split(calibrate(args.cpu_ms), args.cpu_tasks)
    workloads = {
        "io": (sleep_task, [args.io_ms] * args.tasks, [args.io_ms] * args.tasks),
        "cpu": (count_primes, chunks, expected_counts(chunks)),
    }
    pools = (("python-thread", ThreadPoolExecutor), ("python-process", ProcessPoolExecutor))
    for workload, (fn, items, expect) in workloads.items():
        for pool, executor_class in pools:
            sweep(workload, pool, executor_class, fn, items, expect, workers_list, args.reps)


if __name__ == "__main__":
    main()
