"""overhead.py: what it costs Python to run one task that does nothing, by each executor.

The C benchmark (lessons/05-pools/bench_overhead.c) runs this script and copies the rows it prints
into plots/data/overhead.csv, beside the C figures:

    case,impl,tasks,median_us,min_us,max_us,target_us

Each executor is made, and its workers started, before the clock starts; each case runs REPS
times and the figure is the median time per task, in microseconds. Progress goes to stderr.
Standard library only.
"""

import argparse
import asyncio
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor


def noop(x):
    return x


async def noop_coroutine(x):
    return x


async def gather_all(n):
    return await asyncio.gather(*(noop_coroutine(i) for i in range(n)))


def time_executor(executor_class, workers, n, chunksize):
    with executor_class(max_workers=workers) as executor:
        list(executor.map(noop, range(4 * workers)))  # every worker started
        start = time.perf_counter()
        result = list(executor.map(noop, range(n), chunksize=chunksize))
        took = time.perf_counter() - start
    assert result == list(range(n))
    return took


def time_asyncio(n):
    start = time.perf_counter()
    result = asyncio.run(gather_all(n))
    took = time.perf_counter() - start
    assert result == list(range(n))
    return took


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--reps", type=int, default=5)
    args = ap.parse_args()
    w = args.workers
    cases = [
        ("Python ProcessPoolExecutor.map", 1000,
         lambda n: time_executor(ProcessPoolExecutor, w, n, 1)),
        ("Python ProcessPoolExecutor.map chunksize=64", 50000,
         lambda n: time_executor(ProcessPoolExecutor, w, n, 64)),
        ("Python ThreadPoolExecutor.map", 10000,
         lambda n: time_executor(ThreadPoolExecutor, w, n, 1)),
        ("Python asyncio.gather (a task per coroutine)", 20000, time_asyncio),
    ]
    for name, n, run in cases:
        started = time.perf_counter()
        per_task = [run(n) / n * 1e6 for _ in range(args.reps)]
        median = statistics.median(per_task)
        print(f"{name},python,{n},{median:.4f},{min(per_task):.4f},{max(per_task):.4f},0",
              flush=True)
        print(f"  overhead  {name:<52} {median:9.3f} us per task  "
              f"({time.perf_counter() - started:.2f} s)", file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
