/* bench_mpi.c: lesson 10's measurements for the charts (read-only).
 *
 *     bench_mpi OUTDIR [yours]      writes OUTDIR/mpi.csv (or mpi-yours.csv)
 *
 * Two kinds of rows, in the columns of speedup.csv so that the speedup chart draws them too:
 *
 *   cpu,mpi,RANKS,median_s,min_s,max_s,speedup      the static map of CPU_ITEMS items of 10 ms
 *   cpu,mpi-hosts,...                               of CPU, on 1..8 ranks of this machine, and
 *                                                   spread over 2 hosts made as network
 *                                                   namespaces where that is allowed (root)
 *   gantt,static|dynamic,RANK,start_s,end_s,0,0     when each item of the skewed work ran, on
 *                                                   which rank: a timeline of the ranks
 *
 * Each point is one mpirun job running the map BENCH_MIN_REPS times (prog_rmap, beside this
 * program); the time is rank 0's time in the map, so starting the job is not counted.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "clock.h"

#define CPU_ITEMS  32 /* items of 10 ms of CPU each: 320 ms on one rank */
#define SKEW_ITEMS 48 /* as in the tests: the first quarter sleep 20 ms each */
#define MAX_RUNS   16

extern char **environ;

static char prog[PATH_MAX], report[PATH_MAX];

/* Runs argv (mpirun, or the hosts script) with Open MPI's consent to run as root (make plots
 * may run as root; the tests never do). Returns its exit status, or -1. */
static int spawn_wait(char **argv)
{
    pid_t pid;
    int status;

    setenv("OMPI_ALLOW_RUN_AS_ROOT", "1", 1);
    setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", 1);
    if (posix_spawnp(&pid, argv[0], NULL, NULL, argv, environ) != 0)
        return -1;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* One job: np ranks (on `hosts` namespace hosts if hosts > 0) run kind over n items of work,
 * reps times. Fills walls[] (seconds) and returns how many runs came back, or -1. */
static int job(int np, int hosts, const char *kind, const char *work, int n, int reps,
               double *walls, FILE *gantt)
{
    char snp[16], sn[16], sreps[16], shosts[16], sslots[16];
    FILE *f;
    char line[256];
    int runs = 0;

    snprintf(snp, sizeof(snp), "%d", np);
    snprintf(sn, sizeof(sn), "%d", n);
    snprintf(sreps, sizeof(sreps), "%d", reps);
    snprintf(shosts, sizeof(shosts), "%d", hosts);
    snprintf(sslots, sizeof(sslots), "%d", hosts > 0 ? np / hosts : 0);
    char *local[] = {
        "mpirun",     "-np",        snp,     "--oversubscribe",     "--bind-to", "none",  "--mca",
        "btl",        "self,vader", "--mca", "mpi_yield_when_idle", "1",         prog,    report,
        (char *)kind, sn,           "1",     (char *)work,          sreps,       "spans", NULL
    };
    char *remote[] = { "harness/scripts/mpi-hosts.sh",
                       "run",
                       shosts,
                       sslots,
                       prog,
                       report,
                       (char *)kind,
                       sn,
                       "1",
                       (char *)work,
                       sreps,
                       NULL };

    remove(report);
    if (spawn_wait(hosts > 0 ? remote : local) != 0 || !(f = fopen(report, "re")))
        return -1;
    while (fgets(line, sizeof(line), f)) {
        long long wall, start, end;
        int k, r;

        if (sscanf(line, "run %d %lld", &k, &wall) == 2 && runs < MAX_RUNS)
            walls[runs++] = (double)wall / 1e9;
        else if (gantt && sscanf(line, "span %d %d %lld %lld", &k, &r, &start, &end) == 4 && k == 0)
            fprintf(gantt, "gantt,%s,%d,%.6f,%.6f,0,0\n", kind, r, (double)start / 1e9,
                    (double)end / 1e9);
    }
    fclose(f);
    return runs;
}

/* The speedup rows of one series: ranks 1, 2, 4, 8 (hosts: 2 and 4 ranks over 2 hosts). */
static double one_rank_s; /* the local 1-rank median: every series' speedup is against it */

static void speedup_series(FILE *csv, const char *series, int hosts, const int *ranks, int count)
{
    for (int i = 0; i < count; i++) {
        double walls[MAX_RUNS];
        int64_t started = h_now_ns();
        int runs = job(ranks[i], hosts, "static", "cpu", CPU_ITEMS, BENCH_MIN_REPS, walls, NULL);
        struct bench_stats st;

        if (runs <= 0) {
            bench_step("mpi", started, "%s, %d ranks: the job failed", series, ranks[i]);
            continue;
        }
        st = bench_stats_of(walls, runs);
        if (one_rank_s == 0)
            one_rank_s = st.median_s;
        fprintf(csv, "cpu,%s,%d,%.6f,%.6f,%.6f,%.3f\n", series, ranks[i], st.median_s, st.min_s,
                st.max_s, one_rank_s / st.median_s);
        bench_step("mpi", started, "%s, %d ranks: %.3f s", series, ranks[i], st.median_s);
    }
}

int main(int argc, char **argv)
{
    const char *outdir = bench_outdir(argc, argv, "mpi");
    const int local[] = { 1, 2, 4, 8 }, spread[] = { 2, 4 };
    char *slash, reason[256] = "";
    double walls[MAX_RUNS];
    FILE *csv, *check;
    int hosts_ok;

    if (!outdir)
        return 2;
    ssize_t len = readlink("/proc/self/exe", prog, sizeof(prog) - 16);
    if (len < 0 || !(slash = memrchr(prog, '/', (size_t)len)))
        return 1;
    strcpy(slash + 1, "prog_rmap");
    snprintf(report, sizeof(report), "%s/.mpi-report", outdir);
    check = popen("harness/scripts/mpi-hosts.sh check 2>&1", "r");
    if (check && !fgets(reason, sizeof(reason), check))
        reason[0] = '\0';
    hosts_ok = check && pclose(check) == 0;
    reason[strcspn(reason, "\n")] = '\0';
    if (bench_csv_open(&csv, outdir, "mpi") != 0)
        return 1;
    bench_fact(csv, "cpu_work", "%d items of 10 ms of CPU, static split", CPU_ITEMS);
    bench_fact(csv, "skew_work", "%d items, the first quarter sleep 20 ms each", SKEW_ITEMS);
    bench_fact(csv, "hosts", "%s", hosts_ok ? "2 network namespaces, TCP between them" : reason);
    bench_fact(csv, "reps", "%d", BENCH_MIN_REPS);
    bench_csv_columns(csv, "workload,pool,workers,median_s,min_s,max_s,speedup");
    speedup_series(csv, "mpi", 0, local, 4);
    if (hosts_ok)
        speedup_series(csv, "mpi-hosts", 2, spread, 2);
    if (job(4, 0, "static", "skew", SKEW_ITEMS, 1, walls, csv) <= 0 ||
        job(4, 0, "dynamic", "skew", SKEW_ITEMS, 1, walls, csv) <= 0)
        fprintf(stderr, "bench mpi: the skewed jobs failed\n");
    remove(report);
    return bench_csv_close(csv) == 0 ? 0 : 1;
}
