/* test_semaphore_csem.c: lesson 03, part 1 continued: the semaphore with many waiters.
 *
 * Wake-ups with no permit behind them, permits taken by another thread first, posts faster
 * than the woken threads run, and eight threads taking and giving back permits thousands of
 * times. The waiters, take_now and drain are in test_semaphore.c.
 *
 * Wake-ups for nothing come two ways: the kit's wake.h makes the condition variable's waits
 * themselves return for nothing (every wait of the process, whatever it waits on), and the
 * tests reach into struct csem in one place only: csem_wait_rechecks_after_wakeup broadcasts on
 * s.nonzero without a permit. POSIX allows both at any time.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "call.h"
#include "check.h"
#include "clock.h"
#include "csem.h"
#include "test_semaphore.h"
#include "wake.h"

/* How many of the n waiters have returned, once at least want have or ms have passed. */
static int wait_returns(struct waiter *w, int n, int want, int64_t ms)
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

/* Starts waiter i: csem_wait for even i, csem_timedwait a minute ahead for odd i (both paths
 * must behave), and waits until it sleeps. */
static void waiter_start_asleep(struct waiter *w, int i, struct csem *s)
{
    const char *call = i % 2 ? "csem_timedwait (a minute ahead)" : "csem_wait";

    waiter_start(&w[i], s, i % 2, h_deadline_ms(60000));
    if (h_call_asleep(&w[i].call, ASLEEP_WITHIN_MS))
        return;
    if (waiter_done(&w[i]))
        H_ASSERT_FATAL(false, "%s returned %s at once, with no permit to take", call,
                       h_errname(w[i].rc));
    H_ASSERT_FATAL(false,
                   "a thread in %s with no permit to take was still running after 1 s, "
                   "not asleep: a busy wait?",
                   call);
}

/* Joins the waiters that have returned and starts them again. Returns how many had returned
 * with a permit (0). */
static int restart_returned(struct waiter *w, int n, struct csem *s)
{
    int passed = 0;

    for (int i = 0; i < n; i++) {
        if (!waiter_done(&w[i]))
            continue;
        waiter_join(&w[i]);
        passed += w[i].rc == 0;
        waiter_start_asleep(w, i, s);
    }
    return passed;
}

void csem_wait_rechecks_after_wakeup(void)
{
    struct csem s;
    struct waiter w[2];
    struct timespec past = ts_of(h_now_ns() - H_NS_PER_S);
    int through, stolen, ok, spurious;

    H_ASSERT_RC_FATAL(csem_init(&s, 0), 0);
    H_ASSERT_RC_FATAL(take_now(&s), -ETIMEDOUT); /* so the direct calls below return at once */
    /* Waits that return for nothing, as POSIX allows at any time: every wait of both threads
     * (csem_wait, and csem_timedwait a minute ahead) wakes up after 5 ms without a signal. */
    h_wake_reset();
    h_wake_spurious(1, 5);
    for (int i = 0; i < 2; i++)
        waiter_start(&w[i], &s, i % 2, h_deadline_ms(60000));
    h_sleep_ms(100);
    h_wake_spurious(0, 0);
    spurious = h_wake_stats().spurious;
    through = 0;
    for (int i = 0; i < 2; i++)
        through += waiter_done(&w[i]);
    ok = H_ASSERT(spurious > 0, "no wait on a condition variable in 100 ms of csem_wait and "
                                "csem_timedwait with no permit: do they sleep on s->nonzero?");
    ok = ok && H_ASSERT(through == 0,
                        "%d of 2 threads in csem_wait and csem_timedwait returned, with no permit "
                        "to take, after their waits woke up for nothing (%d times): wait in a "
                        "while loop that re-checks the count, not an if",
                        through, spurious);
    if (!ok) { /* the count may be anything now: stop here */
        for (int i = 0; i < 2; i++)
            waiter_join(&w[i]);
        H_ASSERT_RC(csem_destroy(&s), 0);
        return;
    }
    /* Wake-ups with no permit behind them: broadcasts on the semaphore's condition variable. */
    for (int i = 0; i < 5; i++) {
        pthread_cond_broadcast(&s.nonzero);
        h_sleep_ms(10);
    }
    through = restart_returned(w, 2, &s);
    ok = H_ASSERT(through == 0,
                  "%d of 2 waiting threads returned 0 after a wake-up with no permit: wait in a "
                  "while loop that re-checks the count, not an if",
                  through);
    /* Stolen permits: this thread takes each post at once, before the waiter that the post
     * woke gets to run (a wake-up takes microseconds); that waiter must find the count at 0
     * and wait again. Should a waiter win the race, it rightly returns, and is restarted. */
    for (int round = 0; round < 20 && ok; round++) {
        H_ASSERT_RC(csem_post(&s), 0);
        stolen = csem_timedwait(&s, &past) == 0;
        if (!stolen)
            wait_returns(w, 2, 1, WAKE_WITHIN_MS);
        h_sleep_ms(10); /* time for a thread woken for nothing to return, wrongly */
        through = stolen + restart_returned(w, 2, &s);
        ok = H_ASSERT(through == 1,
                      "one csem_post let %d threads through, want 1: a woken thread must "
                      "re-check the count under the lock (another may have taken the permit)",
                      through);
    }
    for (int i = 0; i < 2; i++)
        H_ASSERT_RC(csem_post(&s), 0);
    H_ASSERT(wait_returns(w, 2, 2, WAKE_WITHIN_MS) == 2,
             "a thread was still in csem_wait 1 s after a post for it");
    for (int i = 0; i < 2; i++)
        waiter_join(&w[i]);
    if (ok)
        H_ASSERT_EQ(drain(&s, 10), 0);
    H_ASSERT_RC(csem_destroy(&s), 0);
}

#define N_WAITERS 4 /* threads waiting at once in csem_post_wakes_one_waiter_per_post */

void csem_post_wakes_one_waiter_per_post(void)
{
    struct csem s;
    struct waiter w[N_WAITERS];
    int done, ok = 1;

    H_ASSERT_RC_FATAL(csem_init(&s, 0), 0);
    H_ASSERT_RC_FATAL(take_now(&s), -ETIMEDOUT);
    for (int round = 0; round < 10 && ok; round++) {
        for (int i = 0; i < N_WAITERS; i++)
            waiter_start_asleep(w, i, &s);
        if (round == 0) {
            /* One post, one thread through (a broadcast with an if lets them all through). */
            H_ASSERT_RC(csem_post(&s), 0);
            wait_returns(w, N_WAITERS, 1, WAKE_WITHIN_MS);
            h_sleep_ms(50); /* time for threads woken for nothing to return, wrongly */
            done = wait_returns(w, N_WAITERS, N_WAITERS, 0);
            ok &= H_ASSERT(done == 1, "one csem_post let %d of %d waiting threads through, want 1",
                           done, N_WAITERS);
        }
        /* Posts in a row, faster than a woken thread gets to run: each must wake one. */
        for (int i = round == 0; i < N_WAITERS; i++)
            H_ASSERT_RC(csem_post(&s), 0);
        done = wait_returns(w, N_WAITERS, N_WAITERS, WAKE_WITHIN_MS);
        ok &= H_ASSERT(done == N_WAITERS,
                       "%d posts in a row for %d waiting threads, and %d still waited 1 s later: "
                       "a lost wake-up (does every post wake a waiter, or only the one that "
                       "takes the count from 0 to 1?)",
                       N_WAITERS, N_WAITERS, N_WAITERS - done);
        for (int i = 0; i < N_WAITERS; i++) {
            waiter_join(&w[i]);
            ok &= H_ASSERT_RC(w[i].rc, 0);
        }
    }
    if (ok)
        H_ASSERT_EQ(drain(&s, 10), 0);
    H_ASSERT_RC(csem_destroy(&s), 0);
}

#define HAMMER_THREADS 8    /* threads taking and giving back permits... */
#define HAMMER_PERMITS 3    /* ...of a semaphore with this many... */
#define HAMMER_ROUNDS  5000 /* ...this many times each, */
#define HAMMER_YIELD   4    /* yielding the CPU every this many rounds while holding one */
#define STUCK_MS       3000 /* no round done for this long: the threads are stuck */

/* What the hammering threads share. */
struct hammer_ground {
    struct csem sem;
    pthread_barrier_t start; /* so that all threads begin together */
    atomic_int holders;      /* threads holding a permit now */
    atomic_int most;         /* the most that ever held one at once */
    atomic_long rounds;      /* rounds done, all threads together: progress */
};

struct hammer {
    struct h_call call; /* first: a hammer is a call */
    struct hammer_ground *g;
    bool timed; /* csem_timedwait a minute ahead, else csem_wait */
    int bad_rc; /* the first return that was not 0 */
};

static void hammer_fn(struct h_call *c)
{
    struct hammer *h = (struct hammer *)c;
    struct hammer_ground *g = h->g;
    struct timespec far = ts_of(h_deadline_ms(60000));

    pthread_barrier_wait(&g->start);
    for (int i = 0; i < HAMMER_ROUNDS && h->bad_rc == 0; i++) {
        int rc = h->timed ? csem_timedwait(&g->sem, &far) : csem_wait(&g->sem);
        int now, most;

        if (rc != 0) {
            h->bad_rc = rc;
            break;
        }
        now = atomic_fetch_add(&g->holders, 1) + 1;
        most = atomic_load(&g->most);
        while (now > most && !atomic_compare_exchange_weak(&g->most, &most, now))
            ;
        /* Now and then, give the CPU away while holding the permit: with 2 CPUs, only that
         * lets the count reach 0 and sends the other threads to sleep in the wait. */
        if (i % HAMMER_YIELD == 0)
            sched_yield();
        atomic_fetch_sub(&g->holders, 1);
        h->bad_rc = csem_post(&g->sem);
        atomic_fetch_add(&g->rounds, 1);
    }
}

/* Waits for the hammers as long as they make progress: a loaded machine makes them slow, not
 * stuck. Returns how many finished; the others made no progress for STUCK_MS. */
static int hammers_wait(struct hammer *h, struct hammer_ground *g)
{
    int64_t progress_ns = h_now_ns();
    long last = -1;
    int done;

    for (;;) {
        long rounds = atomic_load(&g->rounds);

        done = 0;
        for (int i = 0; i < HAMMER_THREADS; i++)
            done += h_call_wait(&h[i].call, 0);
        if (done == HAMMER_THREADS)
            return done;
        if (rounds != last) {
            last = rounds;
            progress_ns = h_now_ns();
        } else if (h_now_ns() - progress_ns > STUCK_MS * H_NS_PER_MS) {
            return done;
        }
        h_sleep_ms(20);
    }
}

void csem_many_threads_keep_count(void)
{
    static struct hammer_ground g; /* static: stuck threads may outlive a failed test */
    struct hammer h[HAMMER_THREADS];
    int done, left;

    H_ASSERT_RC_FATAL(csem_init(&g.sem, HAMMER_PERMITS), 0);
    pthread_barrier_init(&g.start, NULL, HAMMER_THREADS);
    for (int i = 0; i < HAMMER_THREADS; i++) {
        h[i] = (struct hammer){ .g = &g, .timed = i % 2 };
        H_ASSERT_RC_FATAL(h_call_start(&h[i].call, hammer_fn), 0);
    }
    done = hammers_wait(h, &g);
    if (done < HAMMER_THREADS) {
        /* Give the stuck ones permits, so that they may end with the test. */
        for (int i = 0; i < 100 * HAMMER_THREADS; i++)
            csem_post(&g.sem);
        H_ASSERT_FATAL(false,
                       "%d of %d threads taking and giving back permits were stuck (no progress "
                       "for %d s) after %ld rounds: a lost wake-up? a lost permit?",
                       HAMMER_THREADS - done, HAMMER_THREADS, STUCK_MS / 1000,
                       atomic_load(&g.rounds));
    }
    for (int i = 0; i < HAMMER_THREADS; i++) {
        h_call_join(&h[i].call);
        h_assert_rc(h[i].bad_rc, 0, false, __FILE__, __LINE__,
                    i % 2 ? "csem_timedwait or csem_post" : "csem_wait or csem_post");
    }
    pthread_barrier_destroy(&g.start);
    H_ASSERT(atomic_load(&g.most) <= HAMMER_PERMITS,
             "%d threads held a permit at once, with %d permits", atomic_load(&g.most),
             HAMMER_PERMITS);
    left = drain(&g.sem, 10);
    H_ASSERT(left == HAMMER_PERMITS,
             "after %d x %d waits and posts, the semaphore holds %d permits, want its %d again",
             HAMMER_THREADS, HAMMER_ROUNDS, left, HAMMER_PERMITS);
    H_ASSERT_RC(csem_destroy(&g.sem), 0);
}
