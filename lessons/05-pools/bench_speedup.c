/* bench_speedup.c: how much faster work gets with more workers: I/O-bound vs CPU-bound, thread
 * pool vs process pool (lesson 05), and the same in Python where python3 is installed.
 *
 * Two workloads, each mapped over a pool of 1, 2, 4, ... 32 workers:
 * - io: IO_TASKS tasks that each sleep IO_MS. A sleeping task needs no core, so every worker
 *   added takes a share of the waiting: the speedup follows the workers, far past the cores.
 * - cpu: CPU_TASKS equal ranges of the prime-counting kernel, CPU_MS of work in all. A counting
 *   task needs a core the whole time: the speedup follows the workers only up to the cores.
 * Each point is the median of BENCH_MIN_REPS maps on a pool made (and warmed up) beforehand:
 * what is timed is the map, as a program that keeps its pool would see it. The repetitions run
 * in rounds over every pool size, so noise from other programs spreads over all the points. Every
 * map's results are checked; a wrong one stops the benchmark. Speedup is against 1 worker of the
 * same pool.
 *
 * Writes OUTDIR/speedup.csv: workload,pool,workers,median_s,min_s,max_s,speedup. Pools: thread,
 * process, then python-thread and python-process from plots/python/pools.py (run from the
 * repository's top folder, as `make bench` does).
 *
 * Built against the learner's lesson 05 too, and run as `bench_speedup OUTDIR yours`: it then
 * writes OUTDIR/speedup-yours.csv with pools thread-yours and process-yours, and no Python.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "clock.h"
#include "pools.h"
#include "workload.h"

#define IO_TASKS  32  /* sleeping tasks per map */
#define IO_MS     15  /* each sleeps this long: 480 ms in all on one worker */
#define CPU_TASKS 64  /* ranges per map: enough to keep 32 workers busy */
#define CPU_MS    150 /* CPU time of the whole map on one worker */
#define MAX_ITEMS 64  /* the larger of the two */

#define PYTHON_SCRIPT "plots/python/pools.py"

#define CSV_NAME "speedup"

#define MAX_WORKERS 32
static const int workers_list[] = { 1, 2, 4, 8, 16, MAX_WORKERS };
#define N_POINTS ((int)(sizeof(workers_list) / sizeof(workers_list[0])))

/* Set before any pool starts, so forked workers have the same values. */
static int64_t cpu_total; /* numbers counted by one whole cpu map */

static int64_t cpu_edge(long i)
{
    return H_CPU_BASE + cpu_total * i / CPU_TASKS;
}

static long io_fn(long i)
{
    h_io_work(NULL, (int)i, IO_MS);
    return i;
}

static long cpu_fn(long i)
{
    return h_cpu_work(NULL, (int)i, cpu_edge(i), cpu_edge(i + 1));
}

static long noop_fn(long i)
{
    return i;
}

/* One workload: its function, items and the answers every map must give. */
struct workload {
    const char *name;
    long (*fn)(long);
    size_t n;
    long in[MAX_ITEMS];
    long want[MAX_ITEMS];
};

/* The two pools behind one shape, so one loop measures both. */
struct pool_ops {
    const char *name;
    int (*create)(void **pool, int workers);
    int (*map)(void *pool, long (*fn)(long), const long *in, long *out, size_t n);
    void (*destroy)(void *pool);
};

static int thread_create(void **pool, int workers)
{
    struct tpool *p;
    int rc = tpool_create(&p, workers);

    if (rc == 0)
        *pool = p;
    return rc;
}

static int thread_map(void *pool, long (*fn)(long), const long *in, long *out, size_t n)
{
    return tpool_map(pool, fn, in, out, n);
}

static void thread_destroy(void *pool)
{
    tpool_destroy(pool);
}

static int process_create(void **pool, int workers)
{
    struct ppool *p;
    int rc = ppool_create(&p, workers);

    if (rc == 0)
        *pool = p;
    return rc;
}

static int process_map(void *pool, long (*fn)(long), const long *in, long *out, size_t n)
{
    int status[MAX_ITEMS];

    return ppool_map(pool, fn, in, out, status, n);
}

static void process_destroy(void *pool)
{
    ppool_destroy(pool);
}

static const struct pool_ops pools[] = {
    { "thread", thread_create, thread_map, thread_destroy },
    { "process", process_create, process_map, process_destroy },
};

/* Starts a pool of `workers` and maps a few empty items on it: the first map touches every
 * worker's stack and pages, which is not part of the work being timed. */
static int start_pool(const struct pool_ops *ops, int workers, void **pool)
{
    long in[2 * MAX_WORKERS], out[2 * MAX_WORKERS];
    int rc = ops->create(pool, workers);

    if (rc != 0)
        return rc;
    for (int i = 0; i < 2 * workers; i++)
        in[i] = i;
    rc = ops->map(*pool, noop_fn, in, out, (size_t)(2 * workers));
    if (rc != 0)
        ops->destroy(*pool);
    return rc;
}

/* One timed map of w on pool: stores the seconds it took. Returns 0 or a negative errno
 * (-EPROTO: the results were wrong). */
static int timed_map(const struct pool_ops *ops, void *pool, const struct workload *w,
                     double *took_s)
{
    long out[MAX_ITEMS] = { 0 };
    int64_t start = h_now_ns();
    int rc = ops->map(pool, w->fn, w->in, out, w->n);

    *took_s = h_ns_to_s(h_now_ns() - start);
    if (rc == 0 && memcmp(out, w->want, w->n * sizeof(out[0])) != 0)
        rc = -EPROTO;
    return rc;
}

/* Times BENCH_MIN_REPS rounds over pools of every size, all started beforehand. Taking the
 * sizes in turn within each round, rather than one size after another, spreads a burst of noise
 * from other programs over every point instead of spoiling one. Returns 0 or a negative errno. */
static int rounds(const struct pool_ops *ops, const struct workload *w,
                  double took[N_POINTS][BENCH_MIN_REPS])
{
    void *pool[N_POINTS];
    int started = 0, rc = 0;

    for (; rc == 0 && started < N_POINTS; started++)
        rc = start_pool(ops, workers_list[started], &pool[started]);
    if (rc != 0)
        started--; /* that one failed, and cleaned up after itself */
    for (int r = 0; rc == 0 && r < BENCH_MIN_REPS; r++) {
        int64_t start = h_now_ns();

        for (int p = 0; rc == 0 && p < N_POINTS; p++)
            rc = timed_map(ops, pool[p], w, &took[p][r]);
        if (rc == 0)
            bench_step("speedup", start, "%-3s %-14s round %d of %d, %d to %d workers", w->name,
                       ops->name, r + 1, BENCH_MIN_REPS, workers_list[0],
                       workers_list[N_POINTS - 1]);
    }
    /* Newest first: a process pool's workers, forked after the earlier pools were made, hold
     * copies of those pools' pipe ends, and an earlier pool's workers see end-of-file only once
     * every copy is closed. */
    while (started > 0)
        ops->destroy(pool[--started]);
    return rc;
}

/* Every point of one workload on one pool: a CSV line and a line of results each. */
static int sweep(FILE *csv, const struct pool_ops *ops, const struct workload *w)
{
    double took[N_POINTS][BENCH_MIN_REPS], base = 0;
    int rc = rounds(ops, w, took);

    if (rc != 0) {
        fprintf(stderr, "bench_speedup: %s pool, %s: %s\n", ops->name, w->name,
                rc == -EPROTO ? "wrong results" : strerror(-rc));
        return rc;
    }
    for (int p = 0; p < N_POINTS; p++) {
        struct bench_stats st = bench_stats_of(took[p], BENCH_MIN_REPS);

        if (p == 0)
            base = st.median_s;
        fprintf(csv, "%s,%s%s,%d,%.6f,%.6f,%.6f,%.3f\n", w->name, ops->name, bench_series(),
                workers_list[p], st.median_s, st.min_s, st.max_s, base / st.median_s);
        printf("  %-9s %-3s %-14s %2d workers: median %.4f s, speedup %5.2fx\n", "", w->name,
               ops->name, workers_list[p], st.median_s, base / st.median_s);
    }
    fflush(csv);
    fflush(stdout);
    return 0;
}

static void *count_range(void *arg)
{
    const int64_t *len = arg;

    h_cpu_work(NULL, 0, H_CPU_BASE, H_CPU_BASE + *len);
    return NULL;
}

/* How many cores' worth of CPU the machine gives right now: one thread per core each counting
 * the same range at once, against one thread counting it alone (the median of 5 tries). A
 * quiet machine gives the cores; a busy one, or a virtual machine whose host is busy, gives
 * less, and so does every CPU-bound point measured meanwhile. Returns 0 if threads fail. */
static double cpu_capacity(void)
{
    pthread_t threads[64];
    int64_t len = cpu_total / 8;
    int n = bench_cores() < 64 ? bench_cores() : 64;
    double ratio[5];

    for (int r = 0; r < 5; r++) {
        int64_t start = h_now_ns(), alone, together;
        int started = 0;

        count_range(&len);
        alone = h_now_ns() - start;
        start = h_now_ns();
        while (started < n && pthread_create(&threads[started], NULL, count_range, &len) == 0)
            started++;
        for (int i = 0; i < started; i++)
            pthread_join(threads[i], NULL);
        together = h_now_ns() - start;
        if (started < n)
            return 0;
        ratio[r] = (double)n * (double)alone / (double)together;
    }
    return bench_stats_of(ratio, 5).median_s;
}

static int make_workloads(struct workload *io, struct workload *cpu)
{
    /* Calibrate on a short run and scale: calibrating on the whole would cost it again. */
    cpu_total = h_cpu_calibrate(CPU_MS / 4) * 4;
    *io = (struct workload){ .name = "io", .fn = io_fn, .n = IO_TASKS };
    *cpu = (struct workload){ .name = "cpu", .fn = cpu_fn, .n = CPU_TASKS };
    for (long i = 0; i < MAX_ITEMS; i++) {
        io->in[i] = io->want[i] = i;
        cpu->in[i] = i;
        cpu->want[i] = h_cpu_expected(cpu_edge(i), cpu_edge(i + 1));
        if (cpu->want[i] < 0)
            return (int)cpu->want[i];
    }
    return 0;
}

/* Runs the Python version of both workloads with the same parameters; its rows go to csv. */
static int run_python(FILE *csv)
{
    char args[256], workers[64] = "";
    size_t used = 0;

    for (int i = 0; i < N_POINTS; i++)
        used += (size_t)snprintf(workers + used, sizeof(workers) - used, "%s%d", i ? "," : "",
                                 workers_list[i]);
    snprintf(args, sizeof(args),
             "--io-ms %d --tasks %d --cpu-ms %d --cpu-tasks %d --reps %d --workers %s", IO_MS,
             IO_TASKS, CPU_MS, CPU_TASKS, BENCH_MIN_REPS, workers);
    return bench_python_run(csv, PYTHON_SCRIPT, args);
}

int main(int argc, char **argv)
{
    const char *outdir = bench_outdir(argc, argv, CSV_NAME);
    struct workload workloads[2];
    double capacity[2] = { 0, 0 };
    FILE *csv;
    int rc;

    if (!outdir)
        return 2;
    rc = make_workloads(&workloads[0], &workloads[1]);
    if (rc == 0)
        rc = bench_csv_open(&csv, outdir, CSV_NAME);
    if (rc != 0) {
        fprintf(stderr, "bench_speedup: %s\n", strerror(-rc));
        return 1;
    }
    bench_fact(csv, "io_work", "%d tasks that each sleep %d ms", IO_TASKS, IO_MS);
    bench_fact(csv, "cpu_work", "%d slices of a prime count, %d ms on 1 worker", CPU_TASKS, CPU_MS);
    bench_fact(csv, "cpu_numbers", "%lld, from %lld", (long long)cpu_total, (long long)H_CPU_BASE);
    bench_fact(csv, "reps", "%d", BENCH_MIN_REPS);
    /* The learner's series needs no Python beside it: the reference's run has it. */
    bool yours = bench_series()[0] != '\0';
    char python[128] = "not run beside the learner's code";
    bool have_python = !yours && bench_python_version(PYTHON_SCRIPT, python, sizeof(python)) == 0;

    bench_fact(csv, "python", "%s", python);
    bench_csv_columns(csv, "workload,pool,workers,median_s,min_s,max_s,speedup");
    for (int w = 0; rc == 0 && w < 2; w++) {
        if (w == 1)
            capacity[0] = cpu_capacity();
        for (size_t p = 0; rc == 0 && p < sizeof(pools) / sizeof(pools[0]); p++)
            rc = sweep(csv, &pools[p], &workloads[w]);
    }
    capacity[1] = cpu_capacity();
    printf("  %-9s %d threads counting at once ran %.2fx as fast as 1 (before the cpu runs), "
           "%.2fx (after)\n",
           "capacity", bench_cores(), capacity[0], capacity[1]);
    bench_fact(csv, "cpu_capacity", "%.2f %.2f", capacity[0], capacity[1]);
    if (rc == 0 && have_python && run_python(csv) != 0)
        bench_fact(csv, "python_failed", "some Python series may be missing");
    if (bench_csv_close(csv) != 0 && rc == 0)
        rc = -EIO;
    return rc == 0 ? 0 : 1;
}
