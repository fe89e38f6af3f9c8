/* test_bqueue.h: what the test files of lesson 08 share (tests only, not for bqueue.c).
 *
 *   test_bqueue.c          the suite table, the waiters, and the queue on one thread at a
 *                          time: order, arguments, close, deadlines
 *   test_bqueue_threads.c  the queue between threads: a full queue blocks, many producers and
 *                          consumers, close wakes everyone, wake-ups for nothing
 *   test_bqueue_stream.c   stream_lines against latencyd's /lines
 */
#ifndef TEST_BQUEUE_H
#define TEST_BQUEUE_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "bqueue.h"
#include "call.h"
#include "check.h"
#include "clock.h"

#define ASLEEP_WITHIN_MS 1000 /* a thread that must block is asleep in its wait by then */
#define WAKE_WITHIN_MS   1000 /* a thread given what it waits for has returned by then */

static inline struct timespec ts_of(int64_t ns)
{
    return (struct timespec){ .tv_sec = ns / H_NS_PER_S, .tv_nsec = ns % H_NS_PER_S };
}

/* ---- waiters: a thread in one blocking call (test_bqueue.c) ---- */

enum op { OP_PUT, OP_TIMEDPUT, OP_GET, OP_TIMEDGET };

struct waiter {
    struct h_call call; /* first: a waiter is a call */
    struct bq *q;
    enum op op;
    void *item;               /* what a put puts; what a get got */
    struct timespec deadline; /* for the timed forms: absolute, CLOCK_MONOTONIC */
    int rc;                   /* what the call returned */
    int64_t called_ns;        /* when it was called */
};

/* Starts a waiter: op on q (with item for a put, deadline_ns for the timed forms). */
void waiter_start(struct waiter *w, struct bq *q, enum op op, void *item, int64_t deadline_ns);

/* waiter_start, then waits until the waiter is asleep in its call; fails the test if it
 * returned instead or kept running. */
void waiter_start_asleep(struct waiter *w, struct bq *q, enum op op, void *item,
                         int64_t deadline_ns);

/* True if the waiter's call has returned (w->rc is then its return). Never blocks. */
bool waiter_done(struct waiter *w);

/* How many of the n waiters have returned, once at least want have or ms have passed. */
int waiters_done(struct waiter *w, int n, int want, int64_t ms);

/* Joins a waiter that has returned; one still waiting fails the test (its struct must then
 * stay valid for good: keep waiters static). */
void waiter_join(struct waiter *w);

/* The name of the waiter's call, for messages: "bq_timedget". */
const char *op_name(enum op op);

/* ---- the tests, for the suite table in test_bqueue.c ---- */

void bq_keeps_fifo_order(void);
void bq_rejects_bad_arguments(void);
void bq_close_drains_then_fails(void);
void bq_timed_waits_honour_deadline(void);
void bq_full_queue_blocks(void);
void bq_many_producers_many_consumers(void);
void bq_close_wakes_every_waiter(void);
void bq_waits_survive_spurious_wakeups(void);
void stream_delivers_lines_as_they_arrive(void);
void stream_pauses_when_queue_is_full(void);
void stream_error_reaches_consumer_after_lines(void);

#endif
