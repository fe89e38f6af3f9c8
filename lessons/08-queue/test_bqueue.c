/* test_bqueue.c: the graded tests of lesson 08 (bqueue.h): the suite, and the queue seen from
 * one thread at a time.
 *
 * Every call that could block runs on a thread of its own (struct waiter, an h_call), and the
 * test waits for it with a deadline: a queue that never wakes its waiter fails with a message
 * saying so, instead of hanging until the watchdog. Threads only record what they saw; the
 * test's thread asserts (CUnit is not thread-safe). The queue between many threads is tested in
 * test_bqueue_threads.c, stream_lines in test_bqueue_stream.c; test_bqueue.h lists what they
 * share. Items are addresses of the `vals` array here, or NULL: the queue never looks at them.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>

#include "call.h"
#include "check.h"
#include "clock.h"
#include "proc.h"
#include "suite.h"
#include "test_bqueue.h"

#define DEADLINE_MS 100  /* the timed waits' deadline */
#define LATE_LIMIT  1.20 /* a timed wait may return this times its deadline late (best of 3) */
#define FIFO_ROUNDS 250  /* rounds of up to 4 puts then 4 gets: the ring wraps many times */

/* ---- waiters ---- */

const char *op_name(enum op op)
{
    static const char *const names[] = { "bq_put", "bq_timedput", "bq_get", "bq_timedget" };

    return names[op];
}

static void waiter_fn(struct h_call *c)
{
    struct waiter *w = (struct waiter *)c;

    w->called_ns = h_now_ns();
    switch (w->op) {
    case OP_PUT:
        w->rc = bq_put(w->q, w->item);
        break;
    case OP_TIMEDPUT:
        w->rc = bq_timedput(w->q, w->item, &w->deadline);
        break;
    case OP_GET:
        w->rc = bq_get(w->q, &w->item);
        break;
    case OP_TIMEDGET:
        w->rc = bq_timedget(w->q, &w->item, &w->deadline);
        break;
    }
}

void waiter_start(struct waiter *w, struct bq *q, enum op op, void *item, int64_t deadline_ns)
{
    *w = (struct waiter){ .q = q, .op = op, .item = item, .deadline = ts_of(deadline_ns) };
    H_ASSERT_RC_FATAL(h_call_start(&w->call, waiter_fn), 0);
}

void waiter_start_asleep(struct waiter *w, struct bq *q, enum op op, void *item,
                         int64_t deadline_ns)
{
    waiter_start(w, q, op, item, deadline_ns);
    if (h_call_asleep(&w->call, ASLEEP_WITHIN_MS))
        return;
    if (waiter_done(w))
        H_ASSERT_FATAL(false, "%s returned %s at once, when it had to wait (the queue was %s)",
                       op_name(op), h_errname(w->rc),
                       op == OP_PUT || op == OP_TIMEDPUT ? "full" : "empty");
    H_ASSERT_FATAL(false,
                   "a thread in %s that had to wait was still running after %d ms, not "
                   "asleep: a busy wait?",
                   op_name(op), ASLEEP_WITHIN_MS);
}

bool waiter_done(struct waiter *w)
{
    return h_call_wait(&w->call, 0);
}

int waiters_done(struct waiter *w, int n, int want, int64_t ms)
{
    int64_t deadline = h_deadline_ms(ms);
    int done;

    for (;;) {
        done = 0;
        for (int i = 0; i < n; i++)
            done += waiter_done(&w[i]);
        if (done >= want || h_now_ns() >= deadline)
            return done;
        h_sleep_ms(1);
    }
}

void waiter_join(struct waiter *w)
{
    H_ASSERT_FATAL(h_call_wait(&w->call, WAKE_WITHIN_MS),
                   "a thread was still in %s %d ms after the test was done with it", op_name(w->op),
                   WAKE_WITHIN_MS);
    h_call_join(&w->call);
}

/* ---- the queue on one thread ---- */

static int vals[64]; /* items are &vals[i] */

/* Runs op on a thread of its own and waits for it: for calls that must not block (a full or
 * closed queue with a thread that wrongly waits fails the test instead of hanging it). */
static int call_now(struct bq *q, enum op op, void *item, void **got)
{
    static struct waiter w[8]; /* static: a call that never returns keeps its struct */
    static int used;
    struct waiter *x = &w[used++ % 8];

    waiter_start(x, q, op, item, h_deadline_ms(60000));
    H_ASSERT_FATAL(h_call_wait(&x->call, WAKE_WITHIN_MS),
                   "%s on a closed queue had not returned after %d ms: a closed queue "
                   "fails puts at once, and gets once it is empty",
                   op_name(op), WAKE_WITHIN_MS);
    h_call_join(&x->call);
    if (got)
        *got = x->item;
    return x->rc;
}

void bq_keeps_fifo_order(void)
{
    struct bq q;
    struct bq_stats st;
    struct timespec past = ts_of(h_now_ns() - H_NS_PER_S);
    void *item = NULL;
    int wrong = 0;

    H_ASSERT_RC_FATAL(bq_init(&q, 4), 0);
    H_ASSERT_EQ(bq_depth(&q), 0);
    H_ASSERT_RC(bq_tryget(&q, &item), -EAGAIN);
    for (int i = 0; i < 4; i++)
        H_ASSERT_RC_FATAL(bq_tryput(&q, &vals[i]), 0);
    H_ASSERT_RC(bq_tryput(&q, &vals[4]), -EAGAIN);
    H_ASSERT_RC(bq_timedput(&q, &vals[4], &past), -ETIMEDOUT);
    H_ASSERT_EQ(bq_depth(&q), 4);
    for (int i = 0; i < 4; i++) {
        H_ASSERT_RC_FATAL(bq_tryget(&q, &item), 0);
        H_ASSERT(item == &vals[i], "get %d gave &vals[%td], want &vals[%d]: first in, first out", i,
                 (int *)item - vals, i);
    }
    H_ASSERT_RC(bq_timedget(&q, &item, &past), -ETIMEDOUT);
    /* Round and round the ring, with every form that finds what it needs at once (even with a
     * deadline in the past), and NULL as an item like any other. */
    for (int round = 0; round < FIFO_ROUNDS; round++) {
        int n = 1 + round % 4;

        for (int i = 0; i < n; i++) {
            void *it = i == 1 ? NULL : &vals[i];
            int rc = i % 3 == 0   ? bq_put(&q, it)
                     : i % 3 == 1 ? bq_tryput(&q, it)
                                  : bq_timedput(&q, it, &past);
            wrong += rc != 0;
        }
        wrong += bq_depth(&q) != (size_t)n;
        for (int i = 0; i < n; i++) {
            int rc = i % 3 == 0   ? bq_get(&q, &item)
                     : i % 3 == 1 ? bq_tryget(&q, &item)
                                  : bq_timedget(&q, &item, &past);
            wrong += rc != 0 || item != (i == 1 ? NULL : &vals[i]);
        }
    }
    H_ASSERT(wrong == 0,
             "%d of %d rounds of up to 4 puts then 4 gets went wrong (an error, a "
             "wrong depth or an item out of order): check the ring's wrap-around",
             wrong, FIFO_ROUNDS);
    st = bq_stats(&q);
    H_ASSERT_EQ(st.peak, 4);
    /* Only the two timed calls with a past deadline found they had to wait (the try forms never
     * count, and every other call found what it needed at once). */
    H_ASSERT_EQ(st.put_waits, 1);
    H_ASSERT_EQ(st.get_waits, 1);
    H_ASSERT_RC(bq_destroy(&q), 0);
}

void bq_rejects_bad_arguments(void)
{
    struct bq q;
    struct timespec bad = { .tv_sec = 0, .tv_nsec = 1000000000L };
    void *item;

    H_ASSERT_RC(bq_init(NULL, 4), -EINVAL);
    H_ASSERT_RC(bq_init(&q, 0), -EINVAL);
    H_ASSERT_RC(bq_init(&q, BQ_CAPACITY_MAX + 1), -EINVAL);
    H_ASSERT_RC(bq_put(NULL, &vals[0]), -EINVAL);
    H_ASSERT_RC(bq_tryput(NULL, &vals[0]), -EINVAL);
    H_ASSERT_RC(bq_timedput(NULL, &vals[0], NULL), -EINVAL);
    H_ASSERT_RC(bq_get(NULL, &item), -EINVAL);
    H_ASSERT_RC(bq_tryget(NULL, &item), -EINVAL);
    H_ASSERT_RC(bq_timedget(NULL, &item, NULL), -EINVAL);
    H_ASSERT_RC(bq_close(NULL, 0), -EINVAL);
    H_ASSERT_RC(bq_destroy(NULL), -EINVAL);
    H_ASSERT_EQ(bq_depth(NULL), 0);
    H_ASSERT_RC_FATAL(bq_init(&q, 1), 0);
    H_ASSERT_RC(bq_get(&q, NULL), -EINVAL);
    H_ASSERT_RC(bq_tryget(&q, NULL), -EINVAL);
    H_ASSERT_RC(bq_timedget(&q, &item, &bad), -EINVAL); /* it had to wait: the deadline matters */
    H_ASSERT_RC(bq_close(&q, 5), -EINVAL);              /* a status is 0 or a negative errno */
    H_ASSERT_RC(bq_tryput(&q, &vals[0]), 0);            /* ...and q is still open */
    H_ASSERT_RC(bq_timedput(&q, &vals[1], &bad), -EINVAL);
    H_ASSERT_RC(bq_timedget(&q, &item, &bad), 0); /* no wait needed: the deadline is not read */
    H_ASSERT_RC(bq_destroy(&q), 0);
}

void bq_close_drains_then_fails(void)
{
    struct bq q;
    void *item = NULL;
    int wrong = 0;

    H_ASSERT_RC_FATAL(bq_init(&q, 4), 0);
    for (int i = 0; i < 4; i++)
        H_ASSERT_RC_FATAL(bq_tryput(&q, &vals[i]), 0);
    H_ASSERT_RC(bq_close(&q, 0), 0);
    /* Puts fail at once, even on a full queue (no waiting for room that would not help). */
    H_ASSERT_RC(bq_tryput(&q, &vals[9]), -EPIPE);
    H_ASSERT_RC(call_now(&q, OP_PUT, &vals[9], NULL), -EPIPE);
    H_ASSERT_RC(call_now(&q, OP_TIMEDPUT, &vals[9], NULL), -EPIPE);
    H_ASSERT_EQ(bq_depth(&q), 4);
    /* Gets still give every item, in order; then fail, with every form, without waiting. */
    for (int i = 0; i < 4; i++) {
        int rc = call_now(&q, i % 2 ? OP_GET : OP_TIMEDGET, NULL, &item);

        H_ASSERT(rc == 0 && item == &vals[i],
                 "get %d from a closed queue that still held %d items returned %s with &vals[%td]"
                 ": after bq_close, gets return what is left, in order, and only then fail",
                 i, 4 - i, h_errname(rc), item ? (int *)item - vals : -1);
    }
    H_ASSERT_RC(call_now(&q, OP_GET, NULL, NULL), -EPIPE);
    H_ASSERT_RC(call_now(&q, OP_TIMEDGET, NULL, NULL), -EPIPE);
    H_ASSERT_RC(bq_tryget(&q, &item), -EPIPE);
    /* Closing again changes nothing: the first status stays. */
    H_ASSERT_RC(bq_close(&q, -EIO), 0);
    H_ASSERT_RC(bq_tryget(&q, &item), -EPIPE);
    H_ASSERT_RC(bq_destroy(&q), 0);

    /* A producer's error reaches the consumers after the items that came before it. */
    H_ASSERT_RC_FATAL(bq_init(&q, 2), 0);
    H_ASSERT_RC(bq_tryput(&q, &vals[1]), 0);
    H_ASSERT_RC(bq_close(&q, -EIO), 0);
    H_ASSERT_RC(bq_tryput(&q, &vals[2]), -EPIPE);
    H_ASSERT_RC(bq_tryget(&q, &item), 0);
    H_ASSERT(item == &vals[1], "the item put before bq_close(q, -EIO) was lost");
    for (int i = 0; i < 3; i++)
        wrong += call_now(&q, i % 2 ? OP_GET : OP_TIMEDGET, NULL, NULL) != -EIO;
    H_ASSERT(wrong == 0,
             "%d of 3 gets after bq_close(q, -EIO) did not return -EIO: a closed "
             "queue's gets fail with the status given to bq_close",
             wrong);
    H_ASSERT_RC(bq_destroy(&q), 0);
}

/* ---- deadlines ---- */

struct timed_case {
    struct bq *q;
    enum op op; /* OP_TIMEDPUT on a full queue, or OP_TIMEDGET on an empty one */
};

/* One timed wait that must time out after DEADLINE_MS, for h_best_time: its seconds, or -1. */
static double timed_attempt(void *arg)
{
    const struct timed_case *tc = arg;
    static struct waiter w[2 * H_TRIES]; /* static: see waiter_join */
    static int used;
    struct waiter *x = &w[used++ % (2 * H_TRIES)];
    int64_t start = h_now_ns();
    double took;

    waiter_start(x, tc->q, tc->op, &vals[7], start + DEADLINE_MS * H_NS_PER_MS);
    if (!H_ASSERT(h_call_wait(&x->call, 5 * DEADLINE_MS + WAKE_WITHIN_MS),
                  "%s with a deadline %d ms ahead had not returned after %d ms: are the "
                  "condition variables on CLOCK_MONOTONIC, and the deadline passed as it is?",
                  op_name(tc->op), DEADLINE_MS, 5 * DEADLINE_MS + WAKE_WITHIN_MS))
        return -1;
    h_call_join(&x->call);
    took = h_ns_to_s(x->call.returned_ns - start);
    if (!h_assert_rc(x->rc, -ETIMEDOUT, false, __FILE__, __LINE__, op_name(tc->op)))
        return -1;
    if (!H_ASSERT(took >= DEADLINE_MS / 1000.0 - 0.001,
                  "%s timed out after %.3f s, before its deadline %d ms ahead: is the "
                  "condition variable on CLOCK_MONOTONIC (pthread_condattr_setclock), the "
                  "clock of the deadline? Its default, CLOCK_REALTIME, reads it as 1970",
                  op_name(tc->op), took, DEADLINE_MS))
        return -1;
    return took;
}

void bq_timed_waits_honour_deadline(void)
{
    struct bq full, empty;
    struct timed_case put = { &full, OP_TIMEDPUT }, get = { &empty, OP_TIMEDGET };
    static struct waiter w; /* static: see waiter_join */
    void *item = NULL;
    double best;

    H_ASSERT_RC_FATAL(bq_init(&full, 1), 0);
    H_ASSERT_RC_FATAL(bq_init(&empty, 1), 0);
    H_ASSERT_RC_FATAL(bq_tryput(&full, &vals[0]), 0);
    best = h_best_time(timed_attempt, &get, DEADLINE_MS * LATE_LIMIT / 1000);
    if (best >= 0 && !h_sanitized())
        H_ASSERT_TIME_WITHIN("bq_timedget on an empty queue, deadline 100 ms ahead", best,
                             DEADLINE_MS / 1000.0, LATE_LIMIT);
    best = h_best_time(timed_attempt, &put, DEADLINE_MS * LATE_LIMIT / 1000);
    if (best >= 0 && !h_sanitized())
        H_ASSERT_TIME_WITHIN("bq_timedput on a full queue, deadline 100 ms ahead", best,
                             DEADLINE_MS / 1000.0, LATE_LIMIT);
    H_ASSERT_EQ(bq_depth(&full), 1); /* a put that timed out added nothing */
    H_ASSERT_EQ(bq_depth(&empty), 0);

    /* A deadline far ahead: the wait ends when the item comes, not at the deadline. */
    waiter_start_asleep(&w, &empty, OP_TIMEDGET, NULL, h_deadline_ms(60000));
    H_ASSERT_RC(bq_tryput(&empty, &vals[3]), 0);
    H_ASSERT(h_call_wait(&w.call, WAKE_WITHIN_MS),
             "bq_timedget (a minute ahead) had not returned %d ms after an item came: does "
             "bq_tryput signal not_empty?",
             WAKE_WITHIN_MS);
    waiter_join(&w);
    H_ASSERT_RC(w.rc, 0);
    H_ASSERT(w.item == &vals[3], "bq_timedget returned 0 but not the item put");
    H_ASSERT_RC(bq_tryget(&full, &item), 0);
    H_ASSERT_RC(bq_destroy(&full), 0);
    H_ASSERT_RC(bq_destroy(&empty), 0);
}

const struct h_suite h_suite = {
    .tests =
        (const struct h_test[]){
            { H_TEST(bq_keeps_fifo_order, 1) },
            { H_TEST(bq_rejects_bad_arguments, 1) },
            { H_TEST(bq_close_drains_then_fails, 1) },
            { H_TEST(bq_timed_waits_honour_deadline, 1) },
            { H_TEST(bq_full_queue_blocks, 1) },
            { H_TEST(bq_many_producers_many_consumers, 1), .timeout_ms = 60000 },
            { H_TEST(bq_close_wakes_every_waiter, 1) },
            { H_TEST(bq_waits_survive_spurious_wakeups, 1) },
            { H_TEST(stream_delivers_lines_as_they_arrive, 1), .timeout_ms = 20000 },
            { H_TEST(stream_pauses_when_queue_is_full, 1), .timeout_ms = 30000 },
            { H_TEST(stream_error_reaches_consumer_after_lines, 1) },
            { 0 },
        },
};
