/* test_pools.h: what the test files of lesson 05 share (read-only: the grader uses its own copy).
 *
 * One test binary links test_pools.c (the suite table, and what is declared here),
 * test_pools_thread.c (the thread pool), test_pools_process.c (the process pool) and
 * test_pools_speedup.c (the speedup of both). Each test is one behaviour; its name says which.
 */
#ifndef TEST_POOLS_H
#define TEST_POOLS_H

#include <stddef.h>

#include "trace.h"

#define MAX_ITEMS 4096
#define GARBAGE   0x5A /* results start full of it: a slot nobody writes stays wrong */

/* ---- what the tests share, defined in test_pools.c ----
 * Short names on purpose: the failure messages quote the calls that use them
 * ("tpool_map(p, uneven_item, in, out, 1000) returned ..."). */

/* The trace the items record into: in shared memory, so forked workers record too. The suite's
 * setup creates it before every test. */
extern struct h_trace *trace;
/* The maps' items (in) and results (out, and status for the process pool); reset_items fills
 * them before a map. */
extern long in[MAX_ITEMS], out[MAX_ITEMS];
extern int status[MAX_ITEMS];

/* What an item turns into: distinct for every item, never 0 or the garbage pattern. */
long answer(long x);
/* in[i] = i, out[] and status[] full of garbage, the trace empty. */
void reset_items(size_t n);
/* Checks out[i] == answer(i) (and status[i] == 0 if statuses); stops at the first wrong slot. */
void check_answers(size_t n, int statuses);
/* Each item ran exactly once. */
void check_each_ran_once(size_t n);

/* ---- the items: long fn(long), recorded in the trace ---- */

/* Every 5th item sleeps 1 ms: items finish out of input order. */
long uneven_item(long x);
long sleep_1ms_item(long x);

/* ---- after a pool is gone ---- */

/* The process has `before` threads again. */
void check_threads_back(int before);
/* No child process left, running or zombie. */
void check_no_children(void);

/* ---- the tests, by the file that holds them (test_pools.c lists them in order) ---- */

/* test_pools_thread.c */
void tpool_map_in_order(void);
void tpool_never_more_workers(void);
void tpool_wait_waits_for_all(void);
void tpool_destroy_finishes_queued(void);
void tpool_many_submitters(void);

/* test_pools_speedup.c */
void tpool_cpu_speedup(void);
void tpool_io_speedup(void);
void ppool_cpu_speedup(void);
void ppool_io_speedup(void);

/* test_pools_process.c */
void ppool_map_in_order(void);
void ppool_never_more_workers(void);
void ppool_crash_fails_only_that_item(void);
void ppool_replaces_killed_worker(void);
void ppool_no_fd_leaks(void);

#endif
