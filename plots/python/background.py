"""background.py: the ticks of a periodic asyncio task, against their schedule.

The C benchmark (lessons/06-background/bench_background.c) runs this script and copies the rows it
prints into plots/data/background.csv, beside the C series:

    series,slot,reps,due_ms,median_start_ms,median_late_ms,min_late_ms,max_late_ms

Two ways to write `every(period, work)` in asyncio, over the same ticks as the C benchmark:
"asyncio sleep(period)" awaits the work, then sleeps a whole period (the loop that drifts), and
"asyncio loop.time()" sleeps until start + k * period, the absolute schedule, skipping slots that
passed while a tick ran. Each runs REPS times; each row is the median over the runs that ran
that slot. Progress goes to stderr. Standard library only.
"""

import argparse
import asyncio
import statistics
import sys
import time


async def work(ms):
    await asyncio.sleep(ms / 1000)  # waiting, as for I/O


async def sleep_after_work(period, work_ms, ticks, starts):
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    for k in range(1, ticks + 1):
        await asyncio.sleep(period)
        starts[k] = loop.time() - t0
        await work(work_ms)


async def absolute_schedule(period, work_ms, ticks, starts):
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    k = 1
    while k <= ticks:
        await asyncio.sleep(max(0.0, t0 + k * period - loop.time()))
        starts[k] = loop.time() - t0
        await work(work_ms)
        # the first slot still ahead (slot j is due at j * period): overrun slots are skipped
        k = max(k + 1, int((loop.time() - t0) / period) + 1)


def measure(name, fn, args):
    runs = []
    for _ in range(args.reps):
        starts = {}
        asyncio.run(fn(args.period_ms / 1000, args.work_ms, args.ticks, starts))
        runs.append(starts)
    for k in range(1, args.ticks + 1):
        got = [r[k] for r in runs if k in r]
        if not got:
            continue
        due = k * args.period_ms / 1000
        late = [s - due for s in got]
        print(f"{name},{k},{len(got)},{due * 1000:.3f},{statistics.median(got) * 1000:.4f},"
              f"{statistics.median(late) * 1000:.4f},{min(late) * 1000:.4f},"
              f"{max(late) * 1000:.4f}")
    last = [r[args.ticks] - args.ticks * args.period_ms / 1000 for r in runs if args.ticks in r]
    if last:
        print(f"  python {name:24s} tick {args.ticks} late by "
              f"{statistics.median(last) * 1000:.2f} ms (median)", file=sys.stderr, flush=True)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--period-ms", type=int, default=10)
    p.add_argument("--work-ms", type=int, default=3)
    p.add_argument("--ticks", type=int, default=50)
    p.add_argument("--reps", type=int, default=5)
    args = p.parse_args()
    measure("asyncio sleep(period)", sleep_after_work, args)
    measure("asyncio loop.time()", absolute_schedule, args)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
