/* test_rmap.c: the graded tests of lesson 10 (read-only: the grader uses its own copy).
 *
 * Each test starts the learner's map as a real MPI job of several ranks on this machine
 * (test_rmap_job.c), bounded in time, and checks what rank 0's report says: the results and
 * their order, what every rank returned, how many items each rank ran and what they cost.
 * Counting, not timing, wherever it can: "rank 2 ran 0 items" says more than a slow clock.
 * Every job must also end by itself and leave no process behind.
 */
#include <errno.h>

#include "check.h"
#include "proc.h"
#include "suite.h"
#include "test_rmap.h"

#define RANKS      4    /* on 2 cores: oversubscribed, which the items (mostly sleeps) allow */
#define JOB_MS     4000 /* a job takes about half a second; one that hangs is stopped here */
#define SKEW_ITEMS 48   /* a quarter of them cost 20 ms each: 240 ms of work in all */
#define SKEW_SLACK 1.5  /* the dynamic map's busiest worker may do this much over the ideal */
#define SKEW_RATIO 2.0  /* and do this many times less than static's busiest (ideal: 3x) */

/* A job: what the test names, with defaults for the rest (see run). */
#define JOB(...) ((struct job){ __VA_ARGS__ })

static struct job job; /* static: a few kilobytes, and kept whole while a test reads it */

/* Runs job j (RANKS ranks, even work, chunks of 1, one run, JOB_MS unless it says), fatally failing
 * the test if it could not even start. */
static void run(struct job j)
{
    job = j;
    job.np = job.np ? job.np : RANKS;
    job.work = job.work ? job.work : "even";
    job.chunk = job.chunk ? job.chunk : 1;
    job.repeat = job.repeat ? job.repeat : 1;
    job.timeout_ms = job.timeout_ms ? job.timeout_ms : JOB_MS;
    H_ASSERT_RC_FATAL(job_run(&job), 0);
}

/* The items that ran on all ranks of run k, added up. */
static long items_run(int k)
{
    long sum = 0;

    for (int r = 0; r < job.np; r++)
        sum += job.run[k].rank[r].items;
    return sum;
}

static void check_each_item_once(void)
{
    H_ASSERT(items_run(0) == job.n,
             "%s map: %ld items ran on all ranks together, want %ld (each once)", job.kind,
             items_run(0), job.n);
}

/* The static split: the first n % size ranks get one item more. */
static long share_of(int rank, long n, int size)
{
    return n / size + (rank < n % size ? 1 : 0);
}

void rmap_static_results_in_order(void)
{
    run(JOB(.kind = "static", .n = 103, .work = "uneven"));
    if (!job_check_ended(&job))
        return;
    job_check_rcs(&job, 0, 0);
    job_check_results(&job, -1);
    check_each_item_once();
}

void rmap_static_every_rank_a_share(void)
{
    run(JOB(.kind = "static", .n = 10));
    if (!job_check_ended(&job) || !job_check_rcs(&job, 0, 0))
        return;
    for (int r = 0; r < RANKS; r++)
        H_ASSERT(job.run[0].rank[r].items == share_of(r, 10, RANKS),
                 "static map of 10 items on %d ranks: rank %d ran %ld items, want %ld (shares "
                 "as equal as can be, the first n %% size ranks one more, rank 0 included)",
                 RANKS, r, job.run[0].rank[r].items, share_of(r, 10, RANKS));
}

/* Results in order, rank 0 computes nothing, every worker a share: chunks of 3 of 103 uneven
 * items. Then more workers than items (2 items on 3 workers: one of them must be stopped
 * without ever getting work), and a single rank, which computes everything itself. */
void rmap_dynamic_results_in_order(void)
{
    run(JOB(.kind = "dynamic", .n = 103, .chunk = 3, .work = "uneven"));
    if (!job_check_ended(&job) || !job_check_rcs(&job, 0, 0) || !job_check_results(&job, -1))
        return;
    check_each_item_once();
    H_ASSERT(job.run[0].rank[0].items == 0,
             "dynamic map: rank 0 ran %ld items, want 0 (it dispatches; the workers compute)",
             job.run[0].rank[0].items);
    for (int r = 1; r < RANKS; r++)
        H_ASSERT(job.run[0].rank[r].items > 0, "dynamic map of 103 items: worker %d ran none", r);

    run(JOB(.kind = "dynamic", .n = 2));
    if (!job_check_ended(&job) || !job_check_rcs(&job, 0, 0) || !job_check_results(&job, -1))
        return;
    check_each_item_once();

    run(JOB(.kind = "dynamic", .n = 20, .np = 1));
    if (job_check_ended(&job) && job_check_rcs(&job, 0, 0) && job_check_results(&job, -1))
        check_each_item_once();
}

/* The busiest rank's nominal work in run k: what the run's makespan is made of. */
static long busiest(int k)
{
    long most = 0;

    for (int r = 0; r < job.np; r++)
        if (job.run[k].rank[r].busy_ns > most)
            most = job.run[k].rank[r].busy_ns;
    return most;
}

/* The first quarter of the items are the costly ones: a static split gives them all to rank
 * 0 (240 ms, while the others idle), a dynamic one spreads them over the 3 workers (80 ms
 * each, ideally). The work each rank did is counted (the nominal cost of its items), which
 * neither load nor oversubscription can blur; best of 3 runs of the dynamic map. */
void rmap_dynamic_beats_static_on_skew(void)
{
    long static_most, best = -1, total = 0;
    double ideal;
    int best_k = 0;

    run(JOB(.kind = "static", .n = SKEW_ITEMS, .work = "skew"));
    if (!job_check_ended(&job) || !job_check_rcs(&job, 0, 0))
        return;
    static_most = busiest(0);
    run(JOB(.kind = "dynamic", .n = SKEW_ITEMS, .work = "skew", .repeat = 3,
            .timeout_ms = 2 * JOB_MS));
    if (!job_check_ended(&job) || !job_check_rcs(&job, 0, 0) || !job_check_results(&job, -1))
        return;
    for (int k = 0; k < job.runs; k++)
        if (best < 0 || busiest(k) < best) {
            best = busiest(k);
            best_k = k;
        }
    for (int r = 0; r < job.np; r++)
        total += job.run[best_k].rank[r].busy_ns;
    ideal = (double)total / (RANKS - 1);
    H_ASSERT(best <= ideal * SKEW_SLACK,
             "dynamic map of skewed work: the busiest worker did %.0f ms of work, ideal %.0f ms "
             "(total / workers), allowed %.1fx (best of %d runs): are chunks handed out as "
             "workers come back, one chunk at a time?",
             best / 1e6, ideal / 1e6, SKEW_SLACK, job.runs);
    H_ASSERT((double)static_most >= SKEW_RATIO * (double)best,
             "skewed work: the static map's busiest rank did %.0f ms, the dynamic map's %.0f ms: "
             "want the dynamic one at least %.1fx less (ideally 3x)",
             static_most / 1e6, best / 1e6, SKEW_RATIO);
}

void rmap_sum_reduces_on_rank0(void)
{
    long want = 0;

    for (long i = 0; i < 1000; i++)
        want += 3 * i * i + 7;
    run(JOB(.kind = "sum", .n = 1000));
    if (!job_check_ended(&job) || !job_check_rcs(&job, 0, 0))
        return;
    H_ASSERT(job.sum == want, "sum of 1000 items on %d ranks: rank 0 got %ld, want %ld%s", RANKS,
             job.sum, want,
             job.sum == JOB_GARBAGE ? " (never written: reduced onto another rank?)" : "");
    check_each_item_once();
}

/* An item that fails, in either map: every rank returns its error (none hangs, none exits),
 * and the other results are all there. Arguments rank 0 rejects: every rank returns -EINVAL,
 * and no item runs anywhere. */
void rmap_errors_reported_on_every_rank(void)
{
    const char *maps[] = { "static", "dynamic" }, *bad[] = { "static-badargs", "dynamic-badargs" };

    for (int m = 0; m < 2; m++) {
        run(JOB(.kind = maps[m], .n = 100, .chunk = 4, .work = "fail"));
        if (!job_check_ended(&job) || !job_check_rcs(&job, 0, -ERANGE) ||
            !job_check_results(&job, 37))
            return;
    }
    for (int m = 0; m < 2; m++) {
        run(JOB(.kind = bad[m], .n = 10));
        if (!job_check_ended(&job) || !job_check_rcs(&job, 0, -EINVAL))
            return;
        H_ASSERT(items_run(0) == 0, "%s: %ld items ran, want none", bad[m], items_run(0));
    }
}

const struct h_suite h_suite = {
    .tests =
        (const struct h_test[]){
            { H_TEST(rmap_static_results_in_order, 1), .timeout_ms = 10000 },
            { H_TEST(rmap_static_every_rank_a_share, 1), .timeout_ms = 10000 },
            { H_TEST(rmap_dynamic_results_in_order, 1), .timeout_ms = 20000 },
            { H_TEST(rmap_dynamic_beats_static_on_skew, 1), .timeout_ms = 20000 },
            { H_TEST(rmap_sum_reduces_on_rank0, 1), .timeout_ms = 10000 },
            { H_TEST(rmap_errors_reported_on_every_rank, 1), .timeout_ms = 25000 },
            { 0 },
        },
};
