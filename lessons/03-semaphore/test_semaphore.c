/* test_semaphore.c: the graded tests of lesson 03 (csem.h).
 *
 * Everything that could block runs on a thread of its own (struct call), and the test waits
 * for it with a deadline: a semaphore that never wakes its waiter fails with a message saying
 * so, instead of hanging until the watchdog. Threads only record what they saw; this thread
 * asserts (CUnit is not thread-safe).
 *
 * The tests reach into struct csem in one place only: csem_wait_rechecks_after_wakeup
 * broadcasts on s.nonzero without a permit, which is a wake-up POSIX allows at any time.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <malloc.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"
#include "clock.h"
#include "csem.h"
#include "proc.h"
#include "runner.h"
#include "server.h"
#include "trace.h"
#include "workload.h"

#define ASLEEP_WITHIN_MS 1000 /* a waiter must be asleep in its wait by then */
#define WAKE_WITHIN_MS   1000 /* a waiter given a permit must have returned by then */
#define MAX_WAKEUPS      5    /* context switches a waiter may make in one wait: 1 is typical */

static struct timespec ts_of(int64_t ns)
{
    return (struct timespec){ .tv_sec = ns / H_NS_PER_S, .tv_nsec = ns % H_NS_PER_S };
}

static int64_t ns_of(const struct timespec *ts)
{
    return ts->tv_sec * H_NS_PER_S + ts->tv_nsec;
}

/* The return of a call the test ran on a thread (a batch or a fetch), named in the message. */
#define CALL_RC(x, want)       h_assert_rc((x)->rc, (want), false, __FILE__, __LINE__, (x)->what)
#define CALL_RC_FATAL(x, want) h_assert_rc((x)->rc, (want), true, __FILE__, __LINE__, (x)->what)

/* ---- calls: a function on a thread of its own, awaited with a deadline ---- */

struct call {
    void (*fn)(struct call *c); /* runs on the thread; the struct it is in holds its data */
    pthread_t thread;
    pthread_mutex_t lock;   /* guards tid, done and returned_ns */
    pthread_cond_t changed; /* on CLOCK_MONOTONIC */
    int tid;                /* the thread's id, once it runs */
    bool done;              /* fn has returned */
    int64_t returned_ns;    /* when */
};

static void *call_main(void *arg)
{
    struct call *c = arg;

    pthread_mutex_lock(&c->lock);
    c->tid = (int)gettid();
    pthread_cond_broadcast(&c->changed);
    pthread_mutex_unlock(&c->lock);
    c->fn(c);
    pthread_mutex_lock(&c->lock);
    c->returned_ns = h_now_ns();
    c->done = true;
    pthread_cond_broadcast(&c->changed);
    pthread_mutex_unlock(&c->lock);
    return NULL;
}

static void call_start(struct call *c, void (*fn)(struct call *c))
{
    pthread_condattr_t attr;

    c->fn = fn;
    c->tid = 0;
    c->done = false;
    pthread_mutex_init(&c->lock, NULL);
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&c->changed, &attr);
    pthread_condattr_destroy(&attr);
    H_ASSERT_RC_FATAL(-pthread_create(&c->thread, NULL, call_main, c), 0);
}

/* Waits up to ms for the call to return; true if it has. */
static bool call_wait(struct call *c, int64_t ms)
{
    struct timespec ts = ts_of(h_deadline_ms(ms));
    bool done;

    pthread_mutex_lock(&c->lock);
    while (!c->done && pthread_cond_timedwait(&c->changed, &c->lock, &ts) == 0)
        ;
    done = c->done;
    pthread_mutex_unlock(&c->lock);
    return done;
}

/* Joins a call that has returned. */
static void call_join(struct call *c)
{
    pthread_join(c->thread, NULL);
    pthread_cond_destroy(&c->changed);
    pthread_mutex_destroy(&c->lock);
}

/* The scheduler state of thread tid ('R' running, 'S' asleep...), from /proc. */
static char thread_state(int tid)
{
    char path[64], buf[512], *paren;
    ssize_t len;
    int fd;

    snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return '?';
    len = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    buf[len > 0 ? len : 0] = '\0';
    paren = strrchr(buf, ')'); /* the name may hold spaces and parentheses: skip to the last */
    return paren && paren[1] == ' ' ? paren[2] : '?';
}

/* Waits up to ms until the call's thread sleeps (seen twice in a row, 1 ms apart) without
 * having returned: it is then blocked in the call. True if so. */
static bool call_asleep(struct call *c, int64_t ms)
{
    int64_t deadline = h_deadline_ms(ms);
    int seen = 0, tid;

    while (h_now_ns() < deadline) {
        pthread_mutex_lock(&c->lock);
        tid = c->done ? -1 : c->tid;
        pthread_mutex_unlock(&c->lock);
        if (tid < 0)
            return false;
        seen = tid > 0 && thread_state(tid) == 'S' ? seen + 1 : 0;
        if (seen == 2)
            return true;
        h_sleep_ms(1);
    }
    return false;
}

/* ---- waiters: a thread in csem_wait or csem_timedwait ---- */

struct waiter {
    struct call call; /* first: a waiter is a call */
    struct csem *sem;
    bool timed;               /* csem_timedwait(deadline), else csem_wait */
    struct timespec deadline; /* absolute, CLOCK_MONOTONIC */
    int rc;                   /* what the wait returned */
    int64_t called_ns;        /* when it was called */
    long wakeups;             /* voluntary context switches during the wait */
};

static void waiter_fn(struct call *c)
{
    struct waiter *w = (struct waiter *)c;
    struct rusage before, after;

    getrusage(RUSAGE_THREAD, &before);
    w->called_ns = h_now_ns();
    w->rc = w->timed ? csem_timedwait(w->sem, &w->deadline) : csem_wait(w->sem);
    getrusage(RUSAGE_THREAD, &after);
    w->wakeups = after.ru_nvcsw - before.ru_nvcsw;
}

/* Starts a waiter on s: csem_wait, or csem_timedwait until deadline_ns if timed. */
static void waiter_start(struct waiter *w, struct csem *s, bool timed, int64_t deadline_ns)
{
    *w = (struct waiter){ .sem = s, .timed = timed, .deadline = ts_of(deadline_ns) };
    call_start(&w->call, waiter_fn);
}

/* Joins a waiter. One still waiting is first given permits until it returns: the test has
 * already failed then, but the thread must not outlive it. */
static void waiter_join(struct waiter *w)
{
    for (int i = 0; i < 10 && !call_wait(&w->call, 0); i++) {
        csem_post(w->sem);
        call_wait(&w->call, 100);
    }
    H_ASSERT_FATAL(call_wait(&w->call, 0), "a thread is still in csem_wait after 10 more posts");
    call_join(&w->call);
}

static bool waiter_done(struct waiter *w)
{
    return call_wait(&w->call, 0);
}

/* csem_timedwait with a deadline already 1 s past: takes a free permit, or returns
 * -ETIMEDOUT at once. On a thread of its own, so that one that blocks fails the test. */
static int take_now(struct csem *s)
{
    struct waiter w;
    bool returned;

    waiter_start(&w, s, true, h_now_ns() - H_NS_PER_S);
    returned = call_wait(&w.call, WAKE_WITHIN_MS);
    waiter_join(&w);
    H_ASSERT_FATAL(returned, "csem_timedwait with a deadline 1 s in the past had not returned "
                             "after 1 s: the deadline is an absolute time, not a duration");
    return w.rc;
}

/* How many permits s holds, found by taking them all (at most max + 1). */
static int drain(struct csem *s, int max)
{
    int n = 0, rc;

    while (n <= max && (rc = take_now(s)) == 0)
        n++;
    if (n <= max)
        H_ASSERT_RC(rc, -ETIMEDOUT);
    return n;
}

/* ---- part 1: the semaphore ---- */

static void csem_counts_permits(void)
{
    struct csem s;

    H_ASSERT_RC_FATAL(csem_init(&s, 3), 0);
    H_ASSERT_EQ(drain(&s, 10), 3);
    H_ASSERT_RC(csem_post(&s), 0);
    H_ASSERT_RC(csem_post(&s), 0);
    H_ASSERT_EQ(drain(&s, 10), 2);
    H_ASSERT_RC(csem_destroy(&s), 0);

    H_ASSERT_RC_FATAL(csem_init(&s, CSEM_VALUE_MAX), 0);
    H_ASSERT_RC(csem_post(&s), -EOVERFLOW);
    H_ASSERT_RC(take_now(&s), 0);
    H_ASSERT_RC(csem_post(&s), 0);
    H_ASSERT_RC(csem_destroy(&s), 0);

    H_ASSERT_RC(csem_init(NULL, 1), -EINVAL);
    H_ASSERT_RC(csem_init(&s, (unsigned int)CSEM_VALUE_MAX + 1), -EINVAL);
    H_ASSERT_RC(csem_wait(NULL), -EINVAL);
    H_ASSERT_RC(csem_timedwait(NULL, NULL), -EINVAL);
    H_ASSERT_RC(csem_post(NULL), -EINVAL);
}

static void csem_wait_sleeps_until_post(void)
{
    struct csem s;
    struct waiter w;
    struct h_usage u;

    H_ASSERT_RC_FATAL(csem_init(&s, 0), 0);
    waiter_start(&w, &s, false, 0);
    call_asleep(&w.call, ASLEEP_WITHIN_MS);
    if (waiter_done(&w))
        H_ASSERT_FATAL(false, "csem_wait returned %s with no permit to take", h_errname(w.rc));
    h_usage_start(&u);
    h_sleep_ms(200);
    h_usage_stop(&u);
    H_ASSERT_MOSTLY_ASLEEP("a thread in csem_wait for 200 ms, with no permit", u, 0.10);
    if (waiter_done(&w))
        H_ASSERT(false, "csem_wait returned %s with no permit to take", h_errname(w.rc));
    H_ASSERT_RC(csem_post(&s), 0);
    H_ASSERT(call_wait(&w.call, WAKE_WITHIN_MS),
             "csem_wait was still waiting 1 s after csem_post: a lost wake-up?");
    waiter_join(&w);
    H_ASSERT_RC(w.rc, 0);
    H_ASSERT(w.wakeups <= MAX_WAKEUPS,
             "the thread in csem_wait woke up %ld times in 200 ms, allowed %d: it polls (sleeps "
             "and looks again) instead of sleeping on the condition variable until a post",
             w.wakeups, MAX_WAKEUPS);
    H_ASSERT_EQ(drain(&s, 10), 0);
    H_ASSERT_RC(csem_destroy(&s), 0);
}

/* One timed wait of 100 ms on an empty semaphore; returns its length in seconds, or -1 if it
 * returned anything but -ETIMEDOUT, or before its deadline (checked again by the test). */
static double timed_out_wait(void *arg)
{
    struct csem *s = arg;
    struct waiter w;

    waiter_start(&w, s, true, h_deadline_ms(100));
    call_wait(&w.call, 100 + WAKE_WITHIN_MS);
    if (!waiter_done(&w)) {
        waiter_join(&w);
        H_ASSERT_FATAL(false, "csem_timedwait had not returned 1 s after its deadline, 100 ms "
                              "ahead: it must wait until that absolute time on CLOCK_MONOTONIC");
    }
    waiter_join(&w);
    H_ASSERT_RC_FATAL(w.rc, -ETIMEDOUT);
    H_ASSERT_FATAL(w.call.returned_ns >= ns_of(&w.deadline),
                   "csem_timedwait returned -ETIMEDOUT %.1f ms before its deadline: is the "
                   "condition variable on CLOCK_MONOTONIC (pthread_condattr_setclock)?",
                   (double)(ns_of(&w.deadline) - w.call.returned_ns) / H_NS_PER_MS);
    return h_ns_to_s(w.call.returned_ns - w.called_ns);
}

static void csem_timedwait_honours_deadline(void)
{
    struct csem s;
    struct waiter w;
    double took;

    H_ASSERT_RC_FATAL(csem_init(&s, 0), 0);
    /* Already past: at once. */
    H_ASSERT_RC(take_now(&s), -ETIMEDOUT);
    /* 100 ms ahead, and no post: -ETIMEDOUT, not before the deadline and not long after. */
    took = h_sanitized() ? timed_out_wait(&s) : h_best_time(timed_out_wait, &s, 0.110);
    if (!h_sanitized())
        H_ASSERT_TIME_WITHIN("csem_timedwait 100 ms ahead, no post", took, 0.100, 1.2);
    /* 2 s ahead, and a post comes: the permit, long before the deadline. */
    waiter_start(&w, &s, true, h_deadline_ms(2000));
    call_asleep(&w.call, ASLEEP_WITHIN_MS);
    if (waiter_done(&w))
        H_ASSERT_FATAL(false,
                       "csem_timedwait with a deadline 2 s ahead returned %s at once: is the "
                       "condition variable on CLOCK_MONOTONIC (pthread_condattr_setclock)?",
                       h_errname(w.rc));
    H_ASSERT_RC(csem_post(&s), 0);
    H_ASSERT(call_wait(&w.call, WAKE_WITHIN_MS),
             "csem_timedwait was still waiting 1 s after csem_post: a lost wake-up?");
    waiter_join(&w);
    H_ASSERT_RC(w.rc, 0);
    H_ASSERT_EQ(drain(&s, 10), 0);
    H_ASSERT_RC(csem_destroy(&s), 0);
}

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
    if (call_asleep(&w[i].call, ASLEEP_WITHIN_MS))
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

static void csem_wait_rechecks_after_wakeup(void)
{
    struct csem s;
    struct waiter w[2];
    struct timespec past = ts_of(h_now_ns() - H_NS_PER_S);
    int through, stolen, ok;

    H_ASSERT_RC_FATAL(csem_init(&s, 0), 0);
    H_ASSERT_RC_FATAL(take_now(&s), -ETIMEDOUT); /* so the direct calls below return at once */
    for (int i = 0; i < 2; i++)
        waiter_start_asleep(w, i, &s);
    /* Wake-ups with no permit behind them, as POSIX allows at any time. */
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

static void csem_post_wakes_one_waiter_per_post(void)
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
    struct call call; /* first: a hammer is a call */
    struct hammer_ground *g;
    bool timed; /* csem_timedwait a minute ahead, else csem_wait */
    int bad_rc; /* the first return that was not 0 */
};

static void hammer_fn(struct call *c)
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
            done += call_wait(&h[i].call, 0);
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

static void csem_many_threads_keep_count(void)
{
    static struct hammer_ground g; /* static: stuck threads may outlive a failed test */
    struct hammer h[HAMMER_THREADS];
    int done, left;

    H_ASSERT_RC_FATAL(csem_init(&g.sem, HAMMER_PERMITS), 0);
    pthread_barrier_init(&g.start, NULL, HAMMER_THREADS);
    for (int i = 0; i < HAMMER_THREADS; i++) {
        h[i] = (struct hammer){ .g = &g, .timed = i % 2 };
        call_start(&h[i].call, hammer_fn);
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
        call_join(&h[i].call);
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

/* ---- part 2: gather_limited ---- */

#define MAX_TASKS    32
#define NOT_WRITTEN  77777 /* a result slot's status before the call: never written */
#define GATHER_LIMIT 5000  /* ms gather_limited may take before the test gives up on it */

struct sleeper {
    struct h_trace *trace;
    int index;
    int ms;     /* how long the task sleeps */
    int status; /* what it returns */
};

static int sleeper_fn(void *arg, long *value)
{
    const struct sleeper *p = arg;

    h_io_work(p->trace, p->index, p->ms);
    *value = 1000 + p->index;
    return p->status;
}

/* One call of gather_limited: its tasks, their trace, and what it gave back. */
struct batch {
    struct call call; /* first: a batch is a call */
    size_t n, limit;
    struct h_trace *trace;
    struct sleeper args[MAX_TASKS];
    struct task tasks[MAX_TASKS];
    struct task_result results[MAX_TASKS];
    char what[64]; /* "gather_limited(16 tasks, limit 4)", for messages */
    int rc;
    int64_t took_ns;
};

/* n tasks that each sleep ms and succeed, for gather_limited under limit. */
static struct batch *batch_create(size_t n, size_t limit, int ms)
{
    struct batch *b = calloc(1, sizeof(*b));

    H_ASSERT_FATAL(b != NULL, "out of memory");
    H_ASSERT_RC_FATAL(h_trace_create(&b->trace, 4 * MAX_TASKS), 0);
    b->n = n;
    b->limit = limit;
    for (size_t i = 0; i < n; i++) {
        b->args[i] = (struct sleeper){ .trace = b->trace, .index = (int)i, .ms = ms };
        b->tasks[i] = (struct task){ .fn = sleeper_fn, .arg = &b->args[i] };
    }
    return b;
}

static void batch_destroy(struct batch *b)
{
    h_trace_destroy(b->trace);
    free(b);
}

static void gather_fn(struct call *c)
{
    struct batch *b = (struct batch *)c;
    int64_t start = h_now_ns();

    b->rc = gather_limited(b->tasks, b->n, b->limit, b->results);
    b->took_ns = h_now_ns() - start;
}

/* Threads of this process now, once a thread just joined has left /proc (it can linger there
 * for a moment after pthread_join returns). */
static int threads_now(int expected)
{
    int64_t deadline = h_deadline_ms(20);
    int n;

    while ((n = h_count_threads()) > expected && h_now_ns() < deadline)
        h_sleep_ms(1);
    return n;
}

/* Runs gather_limited over b on a thread of its own. If it has not returned after
 * GATHER_LIMIT ms, the test fails (and b stays with the stuck thread). */
static void batch_run(struct batch *b)
{
    int threads = h_count_threads(), after, limit_ms = GATHER_LIMIT * (h_sanitized() ? 3 : 1);

    snprintf(b->what, sizeof(b->what), "gather_limited(%zu tasks, limit %zu)", b->n, b->limit);
    h_trace_reset(b->trace);
    for (size_t i = 0; i < MAX_TASKS; i++)
        b->results[i] = (struct task_result){ .status = NOT_WRITTEN, .value = -1 };
    call_start(&b->call, gather_fn);
    H_ASSERT_FATAL(call_wait(&b->call, limit_ms),
                   "%s had not returned after %d ms: does a task wait for a permit that never "
                   "comes back?",
                   b->what, limit_ms);
    call_join(&b->call);
    after = threads_now(threads);
    H_ASSERT(after == threads,
             "%d threads after %s returned, %d before: join every thread it starts", after, b->what,
             threads);
}

/* Every task ran once, and its outcome is in its own slot. Reports the first wrong one. */
static void check_results(const struct batch *b)
{
    for (size_t i = 0; i < b->n; i++) {
        const struct sleeper *a = &b->args[i];
        long want = a->status == 0 ? 1000 + a->index : 0;
        int runs = h_trace_runs(b->trace, a->index);

        if (!H_ASSERT(runs == 1, "task %zu ran %d times, want once", i, runs) ||
            !H_ASSERT(b->results[i].status == a->status && b->results[i].value == want,
                      "results[%zu] is { status %d, value %ld }, want { %d, %ld }%s", i,
                      b->results[i].status, b->results[i].value, a->status, want,
                      b->results[i].status == NOT_WRITTEN ? " (never written)" : ""))
            return;
    }
}

/* At most want tasks ran at once, and at some moment exactly want did. */
static void check_peak(const struct batch *b, int want)
{
    int peak = h_trace_peak(b->trace);

    H_ASSERT(peak == want, "%zu tasks under limit %zu: at most %d ran at once, want exactly %d%s",
             b->n, b->limit, peak, want,
             peak > want ? ": more than the limit (an off-by-one?)"
                         : ": fewer, so tasks waited for no reason (one at a time? in batches?)");
}

static void gather_limited_peak_is_limit(void)
{
    struct batch *b = batch_create(16, 4, 50);

    batch_run(b);
    CALL_RC_FATAL(b, 0);
    check_results(b);
    check_peak(b, 4);
    batch_destroy(b);
}

/* One run of 10 tasks of 60 ms under limit 4: 3 rounds. Returns seconds, or -1 if the call
 * failed or broke the limit (the test then says how). */
static double rounds_attempt(void *arg)
{
    struct batch *b = arg;

    batch_run(b);
    if (b->rc != 0 || h_trace_peak(b->trace) != (int)b->limit)
        return -1;
    return h_ns_to_s(b->took_ns);
}

/* The share of the limit's places left empty from the first task's start to the last one's:
 * while tasks wait, every place should be taken, whatever their lengths. 0 is a perfect
 * window; tasks run in batches leave the places of the short ones empty. */
static double idle_share(const struct batch *b)
{
    size_t n = h_trace_count(b->trace);
    int64_t first = INT64_MAX, last = 0, busy = 0;

    for (size_t i = 0; i < n; i++) {
        int64_t start = atomic_load(&b->trace->spans[i].start_ns);

        first = start < first ? start : first;
        last = start > last ? start : last;
    }
    if (n == 0 || last <= first)
        return 0;
    for (size_t i = 0; i < n; i++) {
        int64_t start = atomic_load(&b->trace->spans[i].start_ns);
        int64_t end = atomic_load(&b->trace->spans[i].end_ns);

        end = end < last ? end : last;
        busy += end > start ? end - start : 0;
    }
    return 1 - (double)busy / ((double)b->limit * (double)(last - first));
}

static void gather_limited_time_near_rounds(void)
{
    static const int mixed_ms[] = { 20, 60, 100 };
    struct batch *b = batch_create(10, 4, 60);
    double took, idle = 1;

    /* Equal tasks: ceil(10 / 4) = 3 rounds of 60 ms. */
    took = h_sanitized() ? rounds_attempt(b) : h_best_time(rounds_attempt, b, 0.180 * 1.5);
    CALL_RC_FATAL(b, 0);
    check_peak(b, 4);
    if (!h_sanitized())
        H_ASSERT_TIME_WITHIN("10 tasks of 60 ms under limit 4 (3 rounds)", took, 0.180, 1.5);
    batch_destroy(b);
    /* Unequal tasks: a new one starts as soon as any one ends, not when a whole batch has. */
    b = batch_create(12, 3, 0);
    for (size_t i = 0; i < b->n; i++)
        b->args[i].ms = mixed_ms[i % 3];
    for (int i = 0; i < (h_sanitized() ? 1 : H_TRIES) && idle > 0.15; i++) {
        batch_run(b);
        CALL_RC_FATAL(b, 0);
        idle = idle_share(b) < idle ? idle_share(b) : idle;
    }
    if (!h_sanitized())
        H_ASSERT(idle <= 0.15,
                 "12 tasks of 20, 60 and 100 ms under limit 3: %.0f%% of the time, places were "
                 "left empty while tasks waited (best of %d), allowed 15%%: start the next task "
                 "as soon as any one ends, not when a whole batch has",
                 100 * idle, H_TRIES);
    batch_destroy(b);
}

static void gather_limited_failed_tasks_return_permits(void)
{
    struct batch *b = batch_create(12, 3, 30);

    for (size_t i = 0; i < b->n; i += 2) {
        b->args[i].status = i % 4 ? -EIO : -ECONNREFUSED;
        b->args[i].ms = 10;
    }
    batch_run(b);
    CALL_RC_FATAL(b, 0);
    check_results(b);
    check_peak(b, 3);
    batch_destroy(b);
}

static void gather_limited_limit_1_and_above_n(void)
{
    struct batch *b = batch_create(5, 1, 20);

    batch_run(b);
    CALL_RC_FATAL(b, 0);
    check_results(b);
    check_peak(b, 1);
    batch_destroy(b);

    b = batch_create(6, 64, 50);
    batch_run(b);
    CALL_RC_FATAL(b, 0);
    check_results(b);
    check_peak(b, 6);
    batch_destroy(b);

    b = batch_create(6, 0, 10);
    batch_run(b);
    CALL_RC(b, -EINVAL);
    H_ASSERT_EQ(h_trace_count(b->trace), 0);
    batch_destroy(b);
    H_ASSERT_RC(gather_limited(NULL, 3, 2, NULL), -EINVAL);
    H_ASSERT_RC(gather_limited(NULL, 0, 2, NULL), 0);
}

/* ---- part 3: fetch_limited ---- */

#define MAX_URLS    16
#define FETCH_LIMIT 5000 /* ms fetch_limited may take before the test gives up on it */

/* Bytes the heap holds now, or 0 where that cannot be known: under a sanitizer (it has its own
 * allocator, and LeakSanitizer checks leaks better) or without glibc's mallinfo2. */
static size_t heap_in_use(void)
{
#if defined(__GLIBC__) && __GLIBC_PREREQ(2, 33)
    return h_sanitized() ? 0 : mallinfo2().uordblks;
#else
    return 0;
#endif
}

/* One call of fetch_limited: its URLs and what it gave back. */
struct fetch {
    struct call call; /* first: a fetch is a call */
    size_t n, limit;
    char urls[MAX_URLS][128];
    const char *url_ptrs[MAX_URLS];
    struct fetch_result out[MAX_URLS];
    char what[64]; /* "fetch_limited(12 URLs, limit 4)", for messages */
    int rc;
    int64_t took_ns;
    struct h_usage usage;        /* of the whole process, during the call */
    struct h_server_stats stats; /* what the server counted during the call */
};

static struct fetch *fetch_create(size_t n, size_t limit)
{
    struct fetch *f = calloc(1, sizeof(*f));

    H_ASSERT_FATAL(f != NULL, "out of memory");
    f->n = n;
    f->limit = limit;
    for (size_t i = 0; i < MAX_URLS; i++)
        f->url_ptrs[i] = f->urls[i];
    return f;
}

static void fetch_fn(struct call *c)
{
    struct fetch *f = (struct fetch *)c;
    int64_t start = h_now_ns();

    f->rc = fetch_limited(f->url_ptrs, f->n, f->limit, f->out);
    f->took_ns = h_now_ns() - start;
}

/* Runs fetch_limited over f on a thread of its own, with the server's counts reset before and
 * read after. If it has not returned after FETCH_LIMIT ms, the test fails (and f stays with the
 * stuck thread). */
static void fetch_run(struct fetch *f, const struct h_server *srv)
{
    int threads = h_count_threads(), fds = h_count_fds(), after;
    int limit_ms = FETCH_LIMIT * (h_sanitized() ? 3 : 1);
    size_t heap = heap_in_use(), allowed = 4096 + 1024 * f->n, grew;

    snprintf(f->what, sizeof(f->what), "fetch_limited(%zu URLs, limit %zu)", f->n, f->limit);
    for (size_t i = 0; i < MAX_URLS; i++)
        f->out[i] = (struct fetch_result){ .error = CURLE_OK, .status = -1, .size = 0 };
    H_ASSERT_RC_FATAL(h_server_reset_stats(srv), 0);
    h_usage_start(&f->usage);
    call_start(&f->call, fetch_fn);
    H_ASSERT_FATAL(call_wait(&f->call, limit_ms),
                   "%s had not returned after %d ms: is the place of a finished or failed "
                   "transfer never given to the next URL?",
                   f->what, limit_ms);
    h_usage_stop(&f->usage);
    call_join(&f->call);
    H_ASSERT_RC_FATAL(h_server_stats(srv, &f->stats), 0);
    after = threads_now(threads);
    H_ASSERT(after == threads, "%d threads after %s returned, %d before", after, f->what, threads);
    grew = heap && heap_in_use() > heap ? heap_in_use() - heap : 0;
    H_ASSERT(grew <= allowed,
             "the heap grew by %zu KiB during %s, allowed %zu: is every easy handle cleaned up "
             "(curl_easy_cleanup) after curl_multi_remove_handle?",
             grew / 1024, f->what, allowed / 1024);
    after = h_count_fds();
    H_ASSERT(after == fds,
             "%d open file descriptors after %s returned, %d before: clean up every easy "
             "handle, and the multi handle",
             after, f->what, fds);
}

/* out[i] must be { error, status }, and size too unless it is -1. */
static bool check_outcome(const struct fetch *f, size_t i, CURLcode error, long status, long size)
{
    const struct fetch_result *r = &f->out[i];

    return H_ASSERT(
        r->error == error && r->status == status && (size < 0 || r->size == (size_t)size),
        "out[%zu] for %s is { %s, status %ld, %zu bytes }, want { %s, status %ld%s }%s", i,
        f->urls[i], curl_easy_strerror(r->error), r->status, r->size, curl_easy_strerror(error),
        status, size < 0 ? "" : ", that many bytes", r->status == -1 ? " (never written)" : "");
}

/* The server's own count of requests in flight at once must be want. */
static void check_server_peak(const struct fetch *f, long want)
{
    long peak = f->stats.peak_in_flight;

    H_ASSERT(peak == want,
             "%zu URLs under limit %zu: the server had at most %ld requests in flight at once, "
             "want exactly %ld%s",
             f->n, f->limit, peak, want,
             peak > want ? ": more than the limit"
                         : ": fewer, so transfers waited for no reason (one at a time? batches?)");
}

/* One run of 12 URLs of 100 ms under limit 4: 3 rounds. Returns seconds, or -1 if the call
 * failed or the server saw the limit broken (the test then says how). */
static double fetch_attempt(void *arg)
{
    void **args = arg;
    struct fetch *f = args[0];

    fetch_run(f, args[1]);
    if (f->rc != 0 || f->stats.peak_in_flight != (long)f->limit)
        return -1;
    return h_ns_to_s(f->took_ns);
}

static void fetch_limited_peak_is_limit(void)
{
    struct h_server srv;
    struct fetch *f = fetch_create(12, 4);
    void *args[] = { f, &srv };
    double took;

    H_ASSERT_RC_FATAL(h_server_start(&srv, NULL), 0);
    for (size_t i = 0; i < f->n; i++)
        h_server_url(&srv, f->urls[i], sizeof(f->urls[i]), "/delay/%d", 100);
    took = h_sanitized() ? fetch_attempt(args) : h_best_time(fetch_attempt, args, 0.300 * 1.5);
    if (!CALL_RC(f, 0))
        goto out; /* stop the server all the same */
    for (size_t i = 0; i < f->n; i++)
        if (!check_outcome(f, i, CURLE_OK, 200, -1))
            break;
    check_server_peak(f, 4);
    H_ASSERT_EQ(f->stats.requests, 12);
    H_ASSERT_MOSTLY_ASLEEP("fetch_limited while the server delays", f->usage, 0.20);
    if (!h_sanitized())
        H_ASSERT_TIME_WITHIN("12 URLs of 100 ms under limit 4 (3 rounds)", took, 0.300, 1.5);
    /* Unequal: one of 300 ms and six of 50 ms under limit 2 take 300 ms if a new transfer
     * starts as soon as any one ends; 450 ms in batches of 2, each as slow as its slowest. */
    f->n = 7;
    f->limit = 2;
    for (size_t i = 0; i < f->n; i++)
        h_server_url(&srv, f->urls[i], sizeof(f->urls[i]), "/delay/%d", i == 0 ? 300 : 50);
    took = h_sanitized() ? fetch_attempt(args) : h_best_time(fetch_attempt, args, 0.300 * 1.25);
    CALL_RC(f, 0);
    check_server_peak(f, 2);
    if (!h_sanitized())
        H_ASSERT_TIME_WITHIN("7 URLs of 300, 50, 50... ms under limit 2: does the next start as "
                             "soon as any one ends, or only when a batch has?",
                             took, 0.300, 1.25);
    /* Limit 1: one at a time; limit above n: all at once. */
    for (size_t limit = 1; limit < 100; limit += 63) {
        f->n = limit == 1 ? 4 : 6;
        f->limit = limit;
        for (size_t i = 0; i < f->n; i++)
            h_server_url(&srv, f->urls[i], sizeof(f->urls[i]), "/delay/%d", 100);
        fetch_run(f, &srv);
        CALL_RC(f, 0);
        for (size_t i = 0; i < f->n; i++)
            if (!check_outcome(f, i, CURLE_OK, 200, -1))
                break;
        check_server_peak(f, limit == 1 ? 1 : 6);
    }
out:
    H_ASSERT_RC(h_server_stop(&srv), 0);
    free(f);
}

/* A port on 127.0.0.1 where a connection is refused: bound, but not listening. Returns the
 * socket (close it when done); *port is its port. */
static int refusing_port(int *port)
{
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    H_ASSERT_FATAL(fd >= 0, "socket: %s", strerror(errno));
    H_ASSERT_FATAL(bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
                       getsockname(fd, (struct sockaddr *)&a, &len) == 0,
                   "bind: %s", strerror(errno));
    *port = ntohs(a.sin_port);
    return fd;
}

static void fetch_limited_errors_keep_window(void)
{
    /* What each URL is, and what it must give: refused connections, a URL libcurl rejects,
     * HTTP errors (a response, so CURLE_OK), and good ones. */
    static const struct {
        const char *path; /* NULL: the refusing port; "!": a scheme libcurl does not know */
        CURLcode error;
        long status, size;
    } cases[] = {
        { NULL, CURLE_COULDNT_CONNECT, 0, 0 },     { "/status/404", CURLE_OK, 404, -1 },
        { NULL, CURLE_COULDNT_CONNECT, 0, 0 },     { "/delay/50", CURLE_OK, 200, -1 },
        { "!", CURLE_UNSUPPORTED_PROTOCOL, 0, 0 }, { "/delay/50", CURLE_OK, 200, -1 },
        { NULL, CURLE_COULDNT_CONNECT, 0, 0 },     { "/bytes/1234", CURLE_OK, 200, 1234 },
        { "/delay/50", CURLE_OK, 200, -1 },        { "/status/503", CURLE_OK, 503, -1 },
        { "/bytes/0", CURLE_OK, 200, 0 },
    };
    size_t n = sizeof(cases) / sizeof(cases[0]);
    struct h_server srv;
    struct fetch *f = fetch_create(n, 2);
    int port, refusing = refusing_port(&port);

    H_ASSERT_RC_FATAL(h_server_start(&srv, NULL), 0);
    for (size_t i = 0; i < n; i++) {
        if (!cases[i].path)
            snprintf(f->urls[i], sizeof(f->urls[i]), "http://127.0.0.1:%d/", port);
        else if (cases[i].path[0] == '!')
            snprintf(f->urls[i], sizeof(f->urls[i]), "nosuchscheme://127.0.0.1/");
        else
            h_server_url(&srv, f->urls[i], sizeof(f->urls[i]), "%s", cases[i].path);
    }
    fetch_run(f, &srv);
    if (!CALL_RC(f, 0))
        goto out; /* stop the server all the same */
    for (size_t i = 0; i < n; i++)
        check_outcome(f, i, cases[i].error, cases[i].status, cases[i].size);
    check_server_peak(f, 2);
    H_ASSERT_EQ(f->stats.requests, 7);

    f->limit = 0;
    fetch_run(f, &srv);
    CALL_RC(f, -EINVAL);
    H_ASSERT_EQ(f->stats.requests, 0);
    H_ASSERT_RC(fetch_limited(NULL, 3, 2, NULL), -EINVAL);
    H_ASSERT_RC(fetch_limited(NULL, 0, 2, NULL), 0);
out:
    H_ASSERT_RC(h_server_stop(&srv), 0);
    close(refusing);
    free(f);
}

/* ---- the suite ---- */

static int setup(void)
{
    return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -ENOMEM;
}

static void teardown(void)
{
    curl_global_cleanup();
}

const struct h_suite h_suite = {
    .setup = setup,
    .teardown = teardown,
    .tests =
        (const struct h_test[]){
            { H_TEST(csem_counts_permits, 1) },
            { H_TEST(csem_wait_sleeps_until_post, 1) },
            { H_TEST(csem_timedwait_honours_deadline, 1) },
            { H_TEST(csem_wait_rechecks_after_wakeup, 1) },
            { H_TEST(csem_post_wakes_one_waiter_per_post, 1) },
            { H_TEST(csem_many_threads_keep_count, 1), .timeout_ms = 30000 },
            { H_TEST(gather_limited_peak_is_limit, 1) },
            { H_TEST(gather_limited_time_near_rounds, 1) },
            { H_TEST(gather_limited_failed_tasks_return_permits, 1) },
            { H_TEST(gather_limited_limit_1_and_above_n, 1) },
            { H_TEST(fetch_limited_peak_is_limit, 1) },
            { H_TEST(fetch_limited_errors_keep_window, 1) },
            { 0 },
        },
};
