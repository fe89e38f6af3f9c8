/* test_bqueue_threads.c: lesson 08, part 1 continued: the queue between threads.
 *
 * A full queue puts its producers to sleep and lets exactly one in per slot freed; an empty one
 * does the same to its consumers; four producers and four consumers pass 100,000 items each
 * with nothing lost, duplicated or reordered; a close wakes every waiter; wake-ups for nothing
 * (broadcasts, and the kit's injector, wake.h) change nothing. The waiters are in
 * test_bqueue.c.
 *
 * The tests reach into struct bq for one thing only: bq_waits_survive_spurious_wakeups, and
 * run_mpmc when the threads stall, broadcast on its condition variables with nothing changed,
 * a wake-up POSIX allows at any time.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "call.h"
#include "check.h"
#include "clock.h"
#include "proc.h"
#include "test_bqueue.h"
#include "wake.h"

#define N_WAITERS 4  /* producers, or consumers, blocked at once */
#define CAPACITY  4  /* the small queue most tests use */
#define SETTLE_MS 30 /* time for a thread woken for nothing to return, wrongly */

static int vals[N_WAITERS][16]; /* waiter i's items are &vals[i][k] */

/* How many of the waiters have returned right now. */
static int done_now(struct waiter *w, int n)
{
    return waiters_done(w, n, n, 0);
}

/* Joins every waiter, which must all have returned within ms. */
static void join_all(struct waiter *w, int n, int64_t ms, const char *what)
{
    int done = waiters_done(w, n, n, ms);

    H_ASSERT_FATAL(done == n, "%s: %d of %d threads were still waiting %lld ms later", what,
                   n - done, n, (long long)ms);
    for (int i = 0; i < n; i++)
        waiter_join(&w[i]);
}

/* 200 ms of the test's thread asleep, measured: for the CPU check of threads that must wait. */
static int idle_stretch(void *arg, struct h_usage *u)
{
    (void)arg;
    h_usage_start(u);
    h_sleep_ms(200);
    h_usage_stop(u);
    return 0;
}

void bq_full_queue_blocks(void)
{
    static struct waiter w[N_WAITERS]; /* static: a waiter that never returns keeps its struct */
    struct bq q;
    void *item;
    int threads = h_count_threads(), done;

    H_ASSERT_RC_FATAL(bq_init(&q, CAPACITY), 0);
    for (int i = 0; i < CAPACITY; i++)
        H_ASSERT_RC_FATAL(bq_tryput(&q, &vals[0][i]), 0);
    /* Four producers on a full queue: all asleep, none in. */
    for (int i = 0; i < N_WAITERS; i++)
        waiter_start_asleep(&w[i], &q, i % 2 ? OP_TIMEDPUT : OP_PUT, &vals[i][8],
                            h_deadline_ms(60000));
    H_ASSERT_MOSTLY_ASLEEP_BEST("4 producers waiting on a full queue, over 200 ms", idle_stretch,
                                NULL, 0.20);
    H_ASSERT_EQ(done_now(w, N_WAITERS), 0);
    H_ASSERT_EQ(bq_depth(&q), CAPACITY);
    H_ASSERT_GE(bq_stats(&q).put_waits, N_WAITERS); /* counted from inside: each one slept */
    /* Each item taken lets exactly one producer in: the queue is full again at once. */
    for (int k = 1; k <= N_WAITERS; k++) {
        H_ASSERT_RC(bq_tryget(&q, &item), 0);
        done = waiters_done(w, N_WAITERS, k, WAKE_WITHIN_MS);
        h_sleep_ms(SETTLE_MS);
        done = done_now(w, N_WAITERS);
        H_ASSERT(done == k,
                 "%d item(s) taken from a full queue let %d waiting producers in, want %d: does "
                 "each get signal not_full, and does each woken put re-check for room?",
                 k, done, k);
        H_ASSERT_EQ(bq_depth(&q), CAPACITY);
        if (done != k)
            break;
    }
    join_all(w, N_WAITERS, WAKE_WITHIN_MS, "producers given room");
    for (int i = 0; i < N_WAITERS; i++)
        H_ASSERT_RC(w[i].rc, 0);
    H_ASSERT_EQ(bq_stats(&q).peak, CAPACITY);
    while (bq_tryget(&q, &item) == 0)
        ;

    /* Four consumers on an empty queue: one item lets exactly one out... */
    for (int i = 0; i < N_WAITERS; i++)
        waiter_start_asleep(&w[i], &q, i % 2 ? OP_TIMEDGET : OP_GET, NULL, h_deadline_ms(60000));
    H_ASSERT_RC(bq_tryput(&q, &vals[1][0]), 0);
    waiters_done(w, N_WAITERS, 1, WAKE_WITHIN_MS);
    h_sleep_ms(SETTLE_MS);
    done = done_now(w, N_WAITERS);
    H_ASSERT(done == 1,
             "one item let %d of %d waiting consumers out, want 1: wait in a while loop "
             "that re-checks the count",
             done, N_WAITERS);
    /* ...and items put in a row, faster than the woken run, each wake one. */
    for (int i = 1; i < N_WAITERS; i++)
        H_ASSERT_RC(bq_tryput(&q, &vals[1][i]), 0);
    done = waiters_done(w, N_WAITERS, N_WAITERS, WAKE_WITHIN_MS);
    H_ASSERT(done == N_WAITERS,
             "%d items put in a row for %d waiting consumers, and %d still waited %d ms later: "
             "a lost wake-up (does every put signal, or only the one into an empty queue?)",
             N_WAITERS, N_WAITERS, N_WAITERS - done, WAKE_WITHIN_MS);
    join_all(w, N_WAITERS, WAKE_WITHIN_MS, "consumers given items");
    for (int i = 0; i < N_WAITERS; i++)
        H_ASSERT_RC(w[i].rc, 0);
    H_ASSERT_GE(bq_stats(&q).get_waits, N_WAITERS);
    H_ASSERT_RC(bq_destroy(&q), 0);
    H_ASSERT_EQ(h_settled_threads(threads, 1000), threads);
}

/* ---- many producers, many consumers ---- */

#define PRODUCERS  4
#define CONSUMERS  4
#define ITEMS      100000 /* per producer */
#define MPMC_CAP   8
#define HANDOFFS   20000 /* items per producer through a queue of capacity 1 */
#define SLOWED     5 /* under a sanitizer or the chaos scheduler: loads this many times smaller */
#define STALL_MS   1000 /* no item moved for this long: a stall (see run_mpmc) */
#define MAX_STALLS 1    /* stalls forgiven in one run */
#define HOLDS      3    /* times the consumers stop for HOLD_MS, so that the queue fills */
#define HOLD_MS    20

struct item {
    int producer, seq;
};

/* What the producers and consumers share. Static: threads stuck in a wrong queue keep it. */
static struct ground {
    struct bq q;
    struct item items[PRODUCERS][ITEMS];
    atomic_uchar seen[PRODUCERS][ITEMS]; /* times each item came out */
    atomic_long taken;                   /* items taken, all consumers together: progress */
    atomic_bool hold;                    /* consumers pause while set */
    pthread_barrier_t start;
} g;

struct worker {
    struct h_call call;       /* first: a worker is a call */
    int id, n_items;          /* a producer's number and how many it puts */
    int rc;                   /* the first error (a consumer's last get: -EPIPE) */
    long got[PRODUCERS];      /* a consumer's count of items from each producer */
    long sum[PRODUCERS];      /* ...and the sum of their sequence numbers */
    long disorder[PRODUCERS]; /* ...and how many came before one with a smaller number */
    long bad;                 /* items that were not one of the producers' */
};

static void producer_fn(struct h_call *c)
{
    struct worker *w = (struct worker *)c;

    pthread_barrier_wait(&g.start);
    for (int s = 0; s < w->n_items && w->rc == 0; s++) {
        g.items[w->id][s] = (struct item){ .producer = w->id, .seq = s };
        w->rc =
            s % 2 ? bq_put(&g.q, &g.items[w->id][s]) : bq_timedput(&g.q, &g.items[w->id][s], NULL);
    }
}

static void consumer_fn(struct h_call *c)
{
    struct worker *w = (struct worker *)c;
    int last[PRODUCERS];
    void *p;

    for (int i = 0; i < PRODUCERS; i++)
        last[i] = -1;
    pthread_barrier_wait(&g.start);
    while ((w->rc = bq_get(&g.q, &p)) == 0) {
        const struct item *it = p;
        ptrdiff_t at = it - &g.items[0][0];

        if (!it || at < 0 || at >= PRODUCERS * ITEMS || it->seq != at % ITEMS) {
            w->bad++;
            continue;
        }
        atomic_fetch_add(&g.seen[it->producer][it->seq], 1);
        w->got[it->producer]++;
        w->sum[it->producer] += it->seq;
        w->disorder[it->producer] += it->seq < last[it->producer];
        last[it->producer] = it->seq;
        atomic_fetch_add(&g.taken, 1);
        while (atomic_load(&g.hold))
            h_sleep_ms(1); /* a slow consumer, on the test's command */
    }
}

/* Runs n_prod producers of n_items each and n_cons consumers through g.q; checks everything
 * came out once, in order per producer. With hold, the consumers are held back now and then.
 *
 * A stall (no item moved for STALL_MS) means every thread is asleep waiting for a wake-up that
 * never came. The test then wakes them all (a broadcast on both condition variables: a wake-up
 * for nothing, which POSIX allows at any time and a correct queue survives) and counts the
 * stall. A queue that loses wake-ups stalls again and again. One stall is forgiven: the C
 * library of Debian 12 (glibc 2.36) has a rare lost wake-up of its own in pthread_cond_signal
 * (sourceware.org bug 25847), and a machine frozen for a second looks the same. */
static void run_mpmc(struct worker *w, int n_prod, int n_items, int n_cons, bool hold,
                     size_t *sampled_peak)
{
    long total = (long)n_prod * n_items, last = 0, dup = 0, lost = 0, bad = 0, disorder = 0;
    int64_t moved = h_now_ns(), hold_at = h_now_ns() + 50 * H_NS_PER_MS;
    int holds = 0, stalls = 0;

    atomic_store(&g.taken, 0);
    for (int p = 0; p < PRODUCERS; p++)
        for (int s = 0; s < ITEMS; s++)
            atomic_store(&g.seen[p][s], 0);
    H_ASSERT_EQ_FATAL(pthread_barrier_init(&g.start, NULL, (unsigned)(n_prod + n_cons)), 0);
    for (int i = 0; i < n_prod + n_cons; i++) {
        w[i] = (struct worker){ .id = i, .n_items = n_items };
        H_ASSERT_RC_FATAL(h_call_start(&w[i].call, i < n_prod ? producer_fn : consumer_fn), 0);
    }
    /* Watch: progress, the depth (never above the capacity), and now and then hold the
     * consumers back so that the producers fill the queue and must block. */
    for (int done = 0; done < n_prod;) {
        long now = atomic_load(&g.taken);
        size_t depth = bq_depth(&g.q);

        if (depth > *sampled_peak)
            *sampled_peak = depth;
        if (now != last) {
            last = now;
            moved = h_now_ns();
        }
        if (hold && holds < HOLDS && h_now_ns() >= hold_at) {
            atomic_store(&g.hold, true);
            h_sleep_ms(HOLD_MS);
            atomic_store(&g.hold, false);
            holds++;
            hold_at = h_now_ns() + 30 * H_NS_PER_MS;
            moved = h_now_ns();
        }
        if (h_now_ns() - moved >= STALL_MS * H_NS_PER_MS) {
            stalls++;
            H_ASSERT_FATAL(stalls <= MAX_STALLS,
                           "%ld of %ld items through, and again none moved for %d ms: the "
                           "threads are stuck, each waiting for a wake-up that never came (one "
                           "condition variable for both conditions? a signal before the change, "
                           "or outside the lock?)",
                           now, total, STALL_MS);
            pthread_cond_broadcast(&g.q.not_full);
            pthread_cond_broadcast(&g.q.not_empty);
            moved = h_now_ns();
        }
        done = 0;
        for (int i = 0; i < n_prod; i++)
            done += h_call_wait(&w[i].call, 0);
        h_sleep_ms(1);
    }
    for (int i = 0; i < n_prod; i++) {
        h_call_join(&w[i].call);
        H_ASSERT_RC(w[i].rc, 0);
    }
    H_ASSERT_RC(bq_close(&g.q, 0), 0); /* the consumers take what is left, then stop */
    for (int i = n_prod; i < n_prod + n_cons; i++) {
        H_ASSERT_FATAL(h_call_wait(&w[i].call, 3 * STALL_MS),
                       "a consumer was still in bq_get %d ms after bq_close: close wakes "
                       "every waiter (broadcast)",
                       3 * STALL_MS);
        h_call_join(&w[i].call);
        H_ASSERT_RC(w[i].rc, -EPIPE);
        bad += w[i].bad;
    }
    pthread_barrier_destroy(&g.start);
    for (int p = 0; p < n_prod; p++) {
        long got = 0, sum = 0;

        for (int i = n_prod; i < n_prod + n_cons; i++) {
            got += w[i].got[p];
            sum += w[i].sum[p];
            disorder += w[i].disorder[p];
        }
        for (int s = 0; s < n_items; s++) {
            int n = atomic_load(&g.seen[p][s]);

            dup += n > 1;
            lost += n == 0;
        }
        H_ASSERT(got == n_items && sum == (long)n_items * (n_items - 1) / 2,
                 "producer %d put %d items (sequence numbers summing to %ld); the consumers got "
                 "%ld (summing to %ld)",
                 p, n_items, (long)n_items * (n_items - 1) / 2, got, sum);
    }
    H_ASSERT(lost == 0 && dup == 0 && bad == 0,
             "of %ld items, %ld never came out, %ld came out more than once, and %ld things "
             "that came out were not items at all: is every slot read and written under the "
             "lock, and does a woken thread re-check the count?",
             total, lost, dup, bad);
    H_ASSERT(disorder == 0,
             "%ld items came out before an item their producer had put earlier (seen by one "
             "consumer): first in, first out",
             disorder);
}

void bq_many_producers_many_consumers(void)
{
    static struct worker w[PRODUCERS + CONSUMERS];
    size_t sampled = 0;
    struct bq_stats st;
    int threads = h_count_threads(), slowed = h_sanitized() ? SLOWED : 1;

    /* Hand-overs one at a time: most puts wait for a get and most gets for a put, so
     * producers and consumers are often asleep at the same moment. A wake-up lost here, or
     * spent on a thread that cannot go on (a producer woken for a full queue), can leave every
     * thread asleep for good. */
    H_ASSERT_RC_FATAL(bq_init(&g.q, 1), 0);
    run_mpmc(w, PRODUCERS, HANDOFFS / slowed, CONSUMERS, false, &sampled);
    H_ASSERT(sampled <= 1, "a queue of capacity 1 held %zu items", sampled);
    H_ASSERT_RC(bq_destroy(&g.q), 0);

    sampled = 0;
    H_ASSERT_RC_FATAL(bq_init(&g.q, MPMC_CAP), 0);
    run_mpmc(w, PRODUCERS, ITEMS / slowed, CONSUMERS, true, &sampled);
    st = bq_stats(&g.q);
    H_ASSERT(sampled <= MPMC_CAP && st.peak <= MPMC_CAP,
             "a queue of capacity %d held %zu items (seen from outside; bq_stats says %zu): "
             "does a woken producer re-check for room under the lock?",
             MPMC_CAP, sampled, st.peak);
    /* The consumers were held back: the producers filled the queue and had to sleep. */
    H_ASSERT_EQ(st.peak, MPMC_CAP);
    H_ASSERT(st.put_waits > 0, "the queue was full while the consumers were held back, yet no "
                               "put slept (bq_stats put_waits is 0)");
    H_ASSERT_RC(bq_destroy(&g.q), 0);
    H_ASSERT_EQ(h_settled_threads(threads, 1000), threads);
}

/* ---- close ---- */

#define CLOSE_WAITERS 8
#define CLOSE_WAKE_MS 100 /* every waiter returns within this of bq_close (a few ms is usual) */

/* Starts CLOSE_WAITERS waiters of op (and its timed form) on q, closes q, and checks that they
 * all return status within CLOSE_WAKE_MS of the close. */
static void close_wakes(struct bq *q, enum op op, enum op timed, const char *what)
{
    static struct waiter w[CLOSE_WAITERS]; /* static: see waiter_join */
    int64_t closed_ns, latest = 0;
    int done;

    for (int i = 0; i < CLOSE_WAITERS; i++)
        waiter_start_asleep(&w[i], q, i % 2 ? timed : op, &vals[0][i], h_deadline_ms(60000));
    closed_ns = h_now_ns();
    H_ASSERT_RC(bq_close(q, 0), 0);
    done = waiters_done(w, CLOSE_WAITERS, CLOSE_WAITERS, WAKE_WITHIN_MS);
    H_ASSERT_FATAL(done == CLOSE_WAITERS,
                   "bq_close with %d %s waiting: %d still waited %d ms later. Close changes "
                   "what every waiter waits for: broadcast on both condition variables",
                   CLOSE_WAITERS, what, CLOSE_WAITERS - done, WAKE_WITHIN_MS);
    for (int i = 0; i < CLOSE_WAITERS; i++) {
        waiter_join(&w[i]);
        H_ASSERT_RC(w[i].rc, -EPIPE);
        if (w[i].call.returned_ns - closed_ns > latest)
            latest = w[i].call.returned_ns - closed_ns;
    }
    if (!h_sanitized())
        H_ASSERT(latest <= CLOSE_WAKE_MS * H_NS_PER_MS,
                 "the last of %d %s returned %.1f ms after bq_close, allowed %d ms", CLOSE_WAITERS,
                 what, (double)latest / H_NS_PER_MS, CLOSE_WAKE_MS);
}

void bq_close_wakes_every_waiter(void)
{
    struct bq empty, full;
    void *item;
    int threads = h_count_threads();

    H_ASSERT_RC_FATAL(bq_init(&empty, 2), 0);
    close_wakes(&empty, OP_GET, OP_TIMEDGET, "consumers");
    H_ASSERT_RC(bq_destroy(&empty), 0);

    H_ASSERT_RC_FATAL(bq_init(&full, 2), 0);
    H_ASSERT_RC_FATAL(bq_tryput(&full, &vals[2][0]), 0);
    H_ASSERT_RC_FATAL(bq_tryput(&full, &vals[2][1]), 0);
    close_wakes(&full, OP_PUT, OP_TIMEDPUT, "producers");
    /* The woken producers added nothing; what was in stays gettable. */
    H_ASSERT_EQ(bq_depth(&full), 2);
    H_ASSERT_RC(bq_tryget(&full, &item), 0);
    H_ASSERT_RC(bq_tryget(&full, &item), 0);
    H_ASSERT_RC(bq_tryget(&full, &item), -EPIPE);
    H_ASSERT_RC(bq_destroy(&full), 0);
    H_ASSERT_EQ(h_settled_threads(threads, 1000), threads);
}

/* ---- wake-ups for nothing ---- */

#define NOTHING_ROUNDS 5    /* broadcasts with nothing changed */
#define SPURIOUS_MS    5    /* how long an injected wake-up for nothing sleeps first */
#define SPURIOUS_ITEMS 500  /* items handed over one at a time while wake-ups are injected */
#define SPURIOUS_LIMIT 1.25 /* a timed wait woken for nothing may end this late (best of 3) */

/* One producer and one consumer through a queue of capacity 1, with every other wait a
 * wake-up for nothing: every item comes out once, in order. */
static void spurious_handoffs(void)
{
    static struct worker w[2]; /* static: see waiter_join */
    struct h_wake_stats ws;
    size_t sampled = 0;

    H_ASSERT_RC_FATAL(bq_init(&g.q, 1), 0);
    h_wake_reset();
    h_wake_spurious(2, 1);
    run_mpmc(w, 1, SPURIOUS_ITEMS, 1, false, &sampled);
    h_wake_spurious(0, 0);
    ws = h_wake_stats();
    H_ASSERT(ws.spurious > 0,
             "no wait of the queue's was woken for nothing (%d waits): do put "
             "and get wait on the condition variables?",
             ws.waits);
    H_ASSERT(sampled <= 1, "a queue of capacity 1 held %zu items after wake-ups for nothing",
             sampled);
    H_ASSERT_RC(bq_destroy(&g.q), 0);
}

/* A timed get on an empty queue, with wake-ups for nothing: its seconds, or -1 if wrong. */
static double spurious_attempt(void *arg)
{
    static struct waiter w[H_TRIES]; /* static: see waiter_join */
    static int used;
    struct waiter *x = &w[used++ % H_TRIES];
    int64_t start = h_now_ns();
    double took;

    h_wake_spurious(2, SPURIOUS_MS);
    waiter_start(x, arg, OP_TIMEDGET, NULL, start + 100 * H_NS_PER_MS);
    if (!H_ASSERT(h_call_wait(&x->call, 2000), "bq_timedget (deadline 100 ms) had not returned "
                                               "after 2 s with wake-ups for nothing")) {
        h_wake_spurious(0, 0);
        return -1;
    }
    h_wake_spurious(0, 0);
    h_call_join(&x->call);
    took = h_ns_to_s(x->call.returned_ns - start);
    if (!H_ASSERT(x->rc == -ETIMEDOUT && took >= 0.099,
                  "bq_timedget on an empty queue, deadline 100 ms ahead, with wake-ups for "
                  "nothing, returned %s after %.3f s: wait in a while loop until an item comes "
                  "or the deadline passes",
                  h_errname(x->rc), took))
        return -1;
    return took;
}

static void spurious_deadline(void)
{
    struct bq q;
    double best;

    H_ASSERT_RC_FATAL(bq_init(&q, 1), 0);
    best = h_best_time(spurious_attempt, &q, 0.1 * SPURIOUS_LIMIT);
    if (best >= 0 && !h_sanitized())
        H_ASSERT_TIME_WITHIN("bq_timedget, deadline 100 ms ahead, woken for nothing every other "
                             "wait (the same deadline each time?)",
                             best, 0.100, SPURIOUS_LIMIT);
    H_ASSERT_RC(bq_destroy(&q), 0);
}

void bq_waits_survive_spurious_wakeups(void)
{
    static struct waiter w[N_WAITERS]; /* static: see waiter_join */
    struct bq q;
    void *item;
    int through;

    /* Consumers on an empty queue, woken with no item there. */
    H_ASSERT_RC_FATAL(bq_init(&q, CAPACITY), 0);
    for (int i = 0; i < N_WAITERS; i++)
        waiter_start_asleep(&w[i], &q, i % 2 ? OP_TIMEDGET : OP_GET, NULL, h_deadline_ms(60000));
    for (int i = 0; i < NOTHING_ROUNDS; i++) {
        pthread_cond_broadcast(&q.not_empty);
        pthread_cond_broadcast(&q.not_full);
        h_sleep_ms(5);
    }
    h_sleep_ms(SETTLE_MS);
    through = done_now(w, N_WAITERS);
    H_ASSERT(through == 0,
             "%d of %d consumers waiting on an empty queue returned after a wake-up with no "
             "item there: wait in a while loop that re-checks the count, not an if",
             through, N_WAITERS);
    for (int i = 0; i < N_WAITERS; i++)
        H_ASSERT_RC(bq_tryput(&q, &vals[3][i]), 0);
    join_all(w, N_WAITERS, WAKE_WITHIN_MS, "consumers given items");
    H_ASSERT_EQ(bq_depth(&q), 0);

    /* Producers on a full queue, woken with no room there. */
    for (int i = 0; i < CAPACITY; i++)
        H_ASSERT_RC_FATAL(bq_tryput(&q, &vals[3][i]), 0);
    for (int i = 0; i < N_WAITERS; i++)
        waiter_start_asleep(&w[i], &q, i % 2 ? OP_TIMEDPUT : OP_PUT, &vals[2][i],
                            h_deadline_ms(60000));
    for (int i = 0; i < NOTHING_ROUNDS; i++) {
        pthread_cond_broadcast(&q.not_full);
        pthread_cond_broadcast(&q.not_empty);
        h_sleep_ms(5);
    }
    h_sleep_ms(SETTLE_MS);
    through = done_now(w, N_WAITERS);
    H_ASSERT(through == 0 && bq_depth(&q) == CAPACITY,
             "%d of %d producers waiting on a full queue returned after a wake-up with no room, "
             "and it holds %zu of %d: re-check for room in a while loop",
             through, N_WAITERS, bq_depth(&q), CAPACITY);
    for (int i = 0; i < N_WAITERS; i++)
        H_ASSERT_RC(bq_tryget(&q, &item), 0);
    join_all(w, N_WAITERS, WAKE_WITHIN_MS, "producers given room");
    while (bq_tryget(&q, &item) == 0)
        ;
    H_ASSERT_RC(bq_destroy(&q), 0);

    /* The kit's injector: every other condition-variable wait returns 0 unsignalled. */
    spurious_handoffs();
    spurious_deadline();
}
