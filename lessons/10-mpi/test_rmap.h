/* test_rmap.h: what the test files of lesson 10 share (read-only: the grader uses its own copy).
 *
 * A test runs the learner's map as a real MPI job: mpirun starts prog_rmap (built beside the
 * test binary, with the learner's rmap.c) as several ranks on this machine, and rank 0 writes
 * what happened to a file that the test reads back (see prog_rmap.c). test_rmap_job.c starts
 * the job, bounds it in time, and makes sure that nothing of it is left running.
 */
#ifndef TEST_RMAP_H
#define TEST_RMAP_H

#include <stdbool.h>
#include <stdint.h>

#define JOB_MAX_RANKS 8
#define JOB_MAX_RUNS  4
#define JOB_MAX_ITEMS 2048
#define JOB_GARBAGE   0x5A5A5A5A5A5A5A5AL /* a result slot that nobody wrote */

/* What one rank did in one run of the map. */
struct job_rank {
    int rc;       /* what the map returned on that rank */
    long items;   /* how many items fn ran there */
    long busy_ns; /* the items' nominal cost there (what they slept or burned) */
};

struct job_run {
    int64_t wall_ns; /* rank 0's time in the map */
    struct job_rank rank[JOB_MAX_RANKS];
};

/* One job: what was asked, and what came back. */
struct job {
    int np;           /* ranks */
    const char *kind; /* static, dynamic, sum, static-badargs, dynamic-badargs */
    const char *work; /* even, uneven, skew, fail, cpu */
    long n, chunk;    /* items, and items per chunk (dynamic) */
    int repeat;       /* runs of the map in the job */
    int timeout_ms;   /* how long the whole job may take */
    /* filled by job_run */
    bool timed_out; /* the job had not ended by its deadline: it was killed */
    int status;     /* mpirun's wait status */
    bool ended;     /* prog_rmap wrote its last line: every rank ran to its end */
    int runs;       /* runs reported */
    struct job_run run[JOB_MAX_RUNS];
    long out[JOB_MAX_ITEMS];
    long sum;
    int leftovers; /* processes of the job still alive once mpirun had returned */
};

/* Runs the job j describes (np, kind, work, n, chunk, repeat, timeout_ms) and fills in the
 * rest. Returns 0 when it could be started and its report read (the job may still have
 * failed: see timed_out, status, ended), or a negative errno. Blocks for up to timeout_ms
 * (three times that on a sanitizer build), plus a second to stop what is left. */
int job_run(struct job *j);

/* Asserts that the job ran to its end in time and left nothing behind; says what went wrong
 * otherwise (a hang, a rank that died, MPI_Abort). Returns true when all of that held. */
bool job_check_ended(const struct job *j);

/* out[i] == 3 i^2 + 7 for every item but `except` (-1: none), which must be 0. */
bool job_check_results(const struct job *j, long except);

/* Every rank returned want in run k. */
bool job_check_rcs(const struct job *j, int k, int want);

/* ---- the tests, test_rmap.c lists them ---- */
void rmap_static_results_in_order(void);
void rmap_static_every_rank_a_share(void);
void rmap_dynamic_results_in_order(void);
void rmap_dynamic_beats_static_on_skew(void);
void rmap_sum_reduces_on_rank0(void);
void rmap_errors_reported_on_every_rank(void);

#endif
