/* bench.h: what every benchmark program shares: machine facts, repeated timing, CSV, progress.
 *
 * A benchmark is a program lessons/NN-topic/bench_<name>.c, built like the lesson's tests against
 * the reference or the learner's code, and run as `bench_<name> OUTDIR [yours]`. It writes
 * OUTDIR/<name>.csv (or <name>-yours.csv): first comment lines (`# key: value`) with the facts of
 * the machine that measured it, so a chart can say where its numbers come from, then one line of
 * column names, then the data. While it measures it prints one line per step, with how long the
 * step took, so a long run never looks stuck.
 *
 * Timing on a shared machine: noise only ever makes a run slower. Each point is measured at
 * least BENCH_MIN_REPS times and reported as median, min and max: the median is the figure, the
 * spread shows how noisy the machine was.
 *
 * Single-threaded use only (the benchmark's main thread); nothing here blocks except on I/O.
 */
#ifndef BENCH_H
#define BENCH_H

#include <stdint.h>
#include <stdio.h>

#define BENCH_MIN_REPS 5 /* repetitions of every measured point, at least */

/* What repeated measurements of one point gave, in seconds. */
struct bench_stats {
    double median_s;
    double min_s;
    double max_s;
    int reps;
};

/* The output folder from argv (`bench_<name> OUTDIR [yours]`), or NULL after printing the usage
 * line to stderr. "yours" says the program was built against the learner's code, not the
 * reference: its CSV is then <name>-yours.csv, and its series should say so (bench_series). */
const char *bench_outdir(int argc, char **argv, const char *name);

/* "" when measuring the reference, "-yours" when measuring the learner's code: a suffix for the
 * names of series. Valid after bench_outdir. */
const char *bench_series(void);

/* Creates OUTDIR/<name>.csv and writes the machine's facts as `# key: value` lines: cores, cpu,
 * date, compiler, kernel. Add the benchmark's own facts with bench_fact, then the line of
 * column names with bench_csv_columns, then the data. Returns 0 or a negative errno; on success
 * *out is the open file, for bench_csv_close. */
int bench_csv_open(FILE **out, const char *outdir, const char *name);

/* Writes one more `# key: value` line. */
void bench_fact(FILE *f, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Writes the line of column names, e.g. "workload,pool,median_s": the end of the header. */
void bench_csv_columns(FILE *f, const char *columns);

/* Closes the CSV. Returns 0, or a negative errno if anything could not be written. */
int bench_csv_close(FILE *f);

/* CPUs this process may use (its affinity mask): the "cores" every chart is titled with. */
int bench_cores(void);

/* Sorts samples (seconds) in place and summarises them. n >= 1. */
struct bench_stats bench_stats_of(double *samples, int n);

/* Prints one progress line: "  <name>  <what>  (1.23 s)", the time since started_ns
 * (h_now_ns). Flushed at once, so a pipe or a terminal shows it as it happens. */
void bench_step(const char *name, int64_t started_ns, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Runs run(ctx, trace) on a fresh trace of capacity spans (created just before, so its time 0 is
 * the start) and stores the trace in *out and the wall time in *took_s. run records its tasks
 * into the trace and returns 0, or a negative errno (-EPROTO for a wrong answer: code not to
 * plot); then the trace is destroyed and that is returned. Returns 0 or a negative errno. */
struct h_trace;
int bench_traced(size_t capacity, int (*run)(void *ctx, struct h_trace *trace), void *ctx,
                 struct h_trace **out, double *took_s);

/* ---- the Python side ----
 * Where python3 is installed, a benchmark also runs a Python script of the same workloads
 * (plots/python/, standard library only), which prints CSV rows of the same columns. */

/* Stores python3's version in buf ("Python 3.11.7") and returns 0; or, when python3 or the
 * script is missing, stores why there is no Python series and returns -ENOENT. */
int bench_python_version(const char *script, char *buf, size_t size);

/* Runs `python3 script args` (args: a string for the shell) and copies each line it writes to
 * its stdout into csv; its stderr, where it reports progress, passes through. Returns 0, or
 * -EIO if it could not run or failed (the rows it printed are kept). */
int bench_python_run(FILE *csv, const char *script, const char *args);

#endif
