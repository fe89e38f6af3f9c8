/* workload.h: the work the tests and benchmarks give to the code under test.
 *
 * Two kinds, the two the kit is about:
 * - I/O-bound: h_io_work sleeps, as a task waiting on a network or a disk does. It needs no CPU,
 *   so any number of them overlap, whatever the number of cores.
 * - CPU-bound: h_cpu_work counts primes by trial division. It needs a core the whole time, so
 *   they overlap only as far as there are cores. Its answer is checked with h_cpu_expected, a
 *   sieve that costs a small fraction as much.
 * Both record a span into a trace (when given one) so the test can see when they ran.
 * Thread-safe; callable from forked children (see trace.h).
 */
#ifndef H_WORKLOAD_H
#define H_WORKLOAD_H

#include <stdint.h>

struct h_trace;

/* Sleeps ms milliseconds as task number task, recorded in trace (NULL: not recorded). */
void h_io_work(struct h_trace *trace, int task, int ms);

/* h_io_work for a test that counts how many tasks ran at once: the task first holds (asleep,
 * checking every millisecond) until want tasks of the trace run at the same time, or for at most
 * hold_ms, then sleeps its ms. On a loaded machine starting want threads can take longer than a
 * task lasts, and a correct executor would then show fewer at once than it allows; with the
 * hold, the peak is what the executor allows, however slow the machine. Once want have met,
 * later tasks do not hold. An executor that runs fewer than want at once makes its first tasks
 * hold hold_ms each, and shows its real peak all the same. */
void h_io_work_meeting(struct h_trace *trace, int task, int ms, int want, int hold_ms);

/* Counts the primes in [lo, hi) by trial division, as task number task, recorded in trace
 * (NULL: not recorded). Returns the count. lo >= 0, hi >= lo. */
long h_cpu_work(struct h_trace *trace, int task, int64_t lo, int64_t hi);

/* The same count by a segmented sieve: the answer h_cpu_work must give, much sooner. Returns
 * the count, or -ENOMEM. */
long h_cpu_expected(int64_t lo, int64_t hi);

/* Where CPU tasks start counting: numbers near 10^9, so each costs up to ~16,000 divisions. */
#define H_CPU_BASE INT64_C(1000000000)

/* A range length n such that h_cpu_work(NULL, 0, H_CPU_BASE, H_CPU_BASE + n) takes about ms
 * milliseconds of CPU on this machine, measured now (measuring takes about a fifth of ms: it
 * times ranges that double until one takes a tenth, then scales). At least 1. */
int64_t h_cpu_calibrate(int ms);

#endif
