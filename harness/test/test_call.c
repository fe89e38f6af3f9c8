/* test_call.c: unit tests of call.h, a function on a thread of its own awaited with a deadline:
 * the wait gives up at its deadline and sees the return, h_call_asleep tells a thread blocked
 * in its call from one that spins, and nothing is left behind. */
#define _GNU_SOURCE /* gettid */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <unistd.h>

#include "call.h"
#include "check.h"
#include "clock.h"
#include "proc.h"
#include "suite.h"

/* A call that blocks until released (asleep on a condvar), or spins until released. */
struct gate {
    struct h_call call; /* first: a gate is a call */
    pthread_mutex_t lock;
    pthread_cond_t opened;
    atomic_bool open; /* written under lock, so that a sleeper cannot miss it */
    bool spin;        /* spin on open instead of sleeping */
};

static void gate_fn(struct h_call *c)
{
    struct gate *g = (struct gate *)c;

    if (g->spin) {
        while (!atomic_load(&g->open))
            ;
        return;
    }
    pthread_mutex_lock(&g->lock);
    while (!atomic_load(&g->open))
        pthread_cond_wait(&g->opened, &g->lock);
    pthread_mutex_unlock(&g->lock);
}

static void gate_open(struct gate *g)
{
    pthread_mutex_lock(&g->lock);
    atomic_store(&g->open, true);
    pthread_cond_broadcast(&g->opened);
    pthread_mutex_unlock(&g->lock);
}

/* Starts a gate call (spinning or sleeping), opens it after checking what h_call_asleep says,
 * and joins it. */
static void gate_run(bool spin, bool want_asleep)
{
    struct gate g = { .spin = spin };
    int threads = h_count_threads();
    int64_t start;

    H_ASSERT_RC_FATAL(-pthread_mutex_init(&g.lock, NULL), 0);
    H_ASSERT_RC_FATAL(-pthread_cond_init(&g.opened, NULL), 0);
    H_ASSERT_RC_FATAL(h_call_start(&g.call, gate_fn), 0);
    H_ASSERT(h_call_asleep(&g.call, spin ? 200 : 1000) == want_asleep,
             "h_call_asleep of a call that %s said %s", spin ? "spins" : "sleeps",
             want_asleep ? "no" : "yes");
    start = h_now_ns();
    H_ASSERT(!h_call_wait(&g.call, 50), "h_call_wait: a call that blocks had returned");
    H_ASSERT_GE(h_now_ns() - start, 50 * H_NS_PER_MS);
    gate_open(&g);
    H_ASSERT_FATAL(h_call_wait(&g.call, 5000),
                   "the call had not returned 5 s after its gate opened");
    h_call_join(&g.call);
    H_ASSERT_GE(g.call.returned_ns, start + 50 * H_NS_PER_MS);
    H_ASSERT(!h_call_asleep(&g.call, 0), "h_call_asleep said yes of a call that has returned");
    pthread_cond_destroy(&g.opened);
    pthread_mutex_destroy(&g.lock);
    H_ASSERT_EQ(h_settled_threads(threads, 200), threads);
}

static void call_asleep_when_blocked(void)
{
    gate_run(false, true);
}

static void call_not_asleep_when_spinning(void)
{
    gate_run(true, false);
}

static void nothing(struct h_call *c)
{
    (void)c;
}

static void call_wait_sees_quick_return(void)
{
    struct h_call c;
    int64_t start = h_now_ns();

    H_ASSERT_RC_FATAL(h_call_start(&c, nothing), 0);
    H_ASSERT_FATAL(h_call_wait(&c, 5000), "a call that returns at once had not after 5 s");
    h_call_join(&c);
    H_ASSERT_GE(c.returned_ns, start);
    H_ASSERT(c.done && c.tid > 0, "done %d, tid %d", c.done, c.tid);
}

static void thread_state_reads_proc(void)
{
    /* This thread is running as it reads its own state; no thread has id 0 or -1. */
    H_ASSERT_EQ(h_thread_state((int)gettid()), 'R');
    H_ASSERT_EQ(h_thread_state(0), '?');
    H_ASSERT_EQ(h_thread_state(-1), '?');
}

const struct h_suite h_suite = {
    .tests =
        (const struct h_test[]){
            { H_TEST(call_asleep_when_blocked, 1) },
            { H_TEST(call_not_asleep_when_spinning, 1) },
            { H_TEST(call_wait_sees_quick_return, 1) },
            { H_TEST(thread_state_reads_proc, 1) },
            { 0 },
        },
};
