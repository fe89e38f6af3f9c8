/* test_errors.h: what the test files of lesson 07 share (read-only).
 *
 * One test binary links test_errors.c (the suite table, the jobs, gather_all_status and the
 * bad arguments) and test_errors_group.c (taskgroup_run). The tasks are jobs: each works in steps
 * of 1 ms for as long as it is told, checks its cancel token before every step (unless it is
 * deaf), and records what happened to it in atomics: when it started, every step it made, when
 * it saw the token, when it ended. The tasks record; the test's thread checks, after the call.
 */
#ifndef TEST_ERRORS_H
#define TEST_ERRORS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "errors.h"

#define MAX_JOBS 16
#define GARBAGE  0x5A5A /* results start full of it: a slot nobody writes stays wrong */

struct job {
    int run_ms;     /* works this long, in 1 ms steps, unless it is stopped */
    int status;     /* returns this when it runs to its end: 0, or the error it fails with */
    long value;     /* stores this then, on success */
    bool deaf;      /* never checks its token (a task that cannot be cancelled) */
    int cleanup_ms; /* takes this long to stop once it has seen the token */
    /* Written by the job's thread: */
    atomic_int started, finished, saw_token;
    atomic_int steps;       /* 1 ms steps done */
    atomic_int steps_after; /* of which after the first failure (failed_at_ns set) */
    _Atomic int64_t start_ns, saw_ns, end_ns;
};

/* The jobs, their tasks and the results of the last call: static memory, never a stack, so
 * that a call that wrongly returns while its tasks run fails a test instead of crashing it. */
extern struct job jobs[MAX_JOBS];
extern struct cancellable_task tasks[MAX_JOBS];
extern struct task_result results[MAX_JOBS];
/* When the first job to fail returned its error (h_now_ns); 0 until one has. */
extern _Atomic int64_t failed_at_ns;

/* The task function of every job: arg is a struct job. */
int job_fn(const struct cancel_token *tok, void *arg, long *value);

/* jobs[i] = like[i] with its counts zeroed, tasks[i] runs it, results[] garbage. */
void make_jobs(const struct job *like, int n);

/* What a call did, seen the moment it returned. */
struct outcome {
    int rc;
    size_t first;  /* taskgroup_run's *first_failed (GARBAGE if it never wrote it) */
    double took;   /* wall time of the call, in seconds */
    int unended;   /* jobs that had started and not finished when the call returned */
    char what[48]; /* "taskgroup_run(6 tasks)" */
};

struct outcome run_gather_all(int n);
struct outcome run_taskgroup(int n);

/* Every job that started ran on while the others did: the latest start came before the
 * earliest end. An overlap check: callers skip it under sanitizers (h_sanitized), where making
 * a thread may take longer than a short job. */
bool ran_at_once(int n);

/* The tests of test_errors_group.c, for the suite table in test_errors.c. */
void taskgroup_reports_first_error_in_time(void);
void taskgroup_cancels_siblings_promptly(void);
void taskgroup_waits_for_deaf_tasks(void);
void taskgroup_all_succeed(void);
void errors_leave_no_thread(void);

#endif
