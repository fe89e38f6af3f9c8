/* test_timeout.c: the graded tests of lesson 04 (wait_for, cancel tokens, fetch_with_timeout).
 *
 * The tasks here are sleepers that check their cancel token every millisecond and record what
 * they saw (started, saw the token, finished, on which thread) in atomics; the test thread
 * reads those after wait_for returns, and asserts. Timing is checked as a ratio to the
 * deadline with a stated tolerance, best of 3, and skipped under sanitizers; that a call did
 * not return before its deadline needs no retries (sleeping never ends early) and is always
 * checked. The kit's wake.h wakes waits up for nothing and tells which clock their deadlines
 * are on (see "spurious wake-ups" below).
 */
#define _GNU_SOURCE
#include <curl/curl.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"
#include "clock.h"
#include "proc.h"
#include "suite.h"
#include "server.h"
#include "timeout.h"
#include "wake.h"

#define POLL_MS      1    /* how often the test tasks check their token */
#define LONG_TASK_MS 1000 /* a "slow" task's length if nobody stops it: far past every limit */
#define LATE_LIMIT   1.20 /* a timed-out wait_for may take this times its limit (best of 3) */

/* ---- a task that records what happened to it ---- */

struct sleeper {
    int run_ms;     /* how long it works when nobody stops it */
    int cleanup_ms; /* how long it takes to stop once it has seen its token */
    bool deaf;      /* never checks its token (a task that cannot be cancelled) */
    int status;     /* what it returns when it runs to its end... */
    long value;     /* ...and the answer it stores then */
    atomic_int started, saw_token, finished; /* counts, written by the task's thread */
    atomic_int tid;                          /* the thread it ran on */
};

static int sleeper_fn(const struct cancel_token *tok, void *arg, long *value)
{
    struct sleeper *s = arg;
    int64_t end = h_deadline_ms(s->run_ms), next;
    int status = s->status;

    atomic_store(&s->tid, (int)gettid());
    atomic_fetch_add(&s->started, 1);
    *value = s->value;
    while (h_now_ns() < end) {
        if (!s->deaf && cancel_requested(tok)) {
            atomic_fetch_add(&s->saw_token, 1);
            h_sleep_ms(s->cleanup_ms); /* stopping takes a while: wait_for must wait for it */
            *value = -1;               /* a late write into the result: it must still exist */
            status = -ECANCELED;
            break;
        }
        next = h_deadline_ms(POLL_MS);
        h_sleep_until(next < end ? next : end);
    }
    atomic_store(&s->finished, 1); /* the task's last act: after it, only its return */
    return status;
}

/* What one call of wait_for on a sleeper did, seen the moment it returned. */
struct outcome {
    int rc;                           /* what wait_for returned */
    struct task_result r;             /* what it stored */
    double took;                      /* its wall time, in seconds */
    int started, saw_token, finished; /* the task's counts */
    bool own_thread;                  /* the task ran on a thread other than the caller's */
    char what[64];                    /* "wait_for(a 30 ms task, 1999 ms)", for messages */
};

/* Sleepers live in static memory, never on a stack: a wait_for that wrongly returns while its
 * task still runs then fails the test, instead of crashing it when the task reads a dead stack. */
static struct sleeper sleepers[256];
static int sleepers_used;

/* Runs wait_for on a sleeper like the one given, with timeout_ms; says what happened. */
static struct outcome run_wait_for(struct sleeper like, int timeout_ms)
{
    struct sleeper *s = &sleepers[sleepers_used];
    struct timed_task t = { .fn = sleeper_fn, .arg = s };
    struct outcome o = { .r = { -1, -1 } };
    int64_t start;

    H_ASSERT_FATAL(sleepers_used < (int)(sizeof(sleepers) / sizeof(*sleepers)), "no sleepers left");
    sleepers_used++;
    *s = like;
    start = h_now_ns();
    o.rc = wait_for(&t, timeout_ms, &o.r);
    o.took = h_ns_to_s(h_now_ns() - start);
    o.finished = atomic_load(&s->finished);
    o.started = atomic_load(&s->started);
    o.saw_token = atomic_load(&s->saw_token);
    o.own_thread = atomic_load(&s->tid) != (int)gettid();
    snprintf(o.what, sizeof(o.what), "wait_for(a %d ms task, %d ms)", like.run_ms, timeout_ms);
    return o;
}

/* wait_for's return value must be want: "wait_for(a 30 ms task, 1999 ms) returned ..." */
#define ASSERT_RC_OF(o, want)       h_assert_rc((o).rc, (want), false, __FILE__, __LINE__, (o).what)
#define ASSERT_RC_OF_FATAL(o, want) h_assert_rc((o).rc, (want), true, __FILE__, __LINE__, (o).what)

/* What every call that ran a task must leave behind: the task over, no thread of its own. */
#define ASSERT_TASK_OVER(o, threads_before)                                                        \
    do {                                                                                           \
        H_ASSERT((o).finished == 1,                                                                \
                 "%s returned while its task was still running: join the "                         \
                 "task's thread first (it may still use the call's memory)",                       \
                 (o).what);                                                                        \
        H_ASSERT_EQ(h_settled_threads(threads_before, 1000), threads_before);                      \
    } while (0)

/* ---- the fast path ---- */

static void wait_for_returns_result(void)
{
    struct sleeper ok = { .run_ms = 30, .value = 42 }, bad = { .run_ms = 10, .status = -EIO };
    int threads = h_count_threads();
    /* 1999 ms: a deadline built with tv_nsec >= 1e9 (no carry into tv_sec) is refused. */
    struct outcome o = run_wait_for(ok, 1999);

    ASSERT_RC_OF_FATAL(o, 0);
    H_ASSERT_EQ(o.r.status, 0);
    H_ASSERT_EQ(o.r.value, 42);
    H_ASSERT_EQ(o.started, 1);
    H_ASSERT(o.own_thread, "the task ran on the calling thread: give it a thread of its own");
    H_ASSERT(o.took < 1.0,
             "%s took %.3f s: wait_for returns as soon as the task is done, not at the deadline",
             o.what, o.took);
    ASSERT_TASK_OVER(o, threads);

    /* The task's own failure is its result, not wait_for's. */
    o = run_wait_for(bad, 1999);
    ASSERT_RC_OF(o, 0);
    H_ASSERT_RC(o.r.status, -EIO);
    H_ASSERT_EQ(o.r.value, 0);
    ASSERT_TASK_OVER(o, threads);
}

/* ---- the deadline ---- */

/* One timed-out call with a 100 ms limit, for h_best_time: its seconds, or -1 if wrong. */
static double late_attempt(void *arg)
{
    struct sleeper s = { .run_ms = LONG_TASK_MS, .value = 1 };
    struct outcome o = run_wait_for(s, 100);

    (void)arg;
    if (o.rc == 0 && o.took * 1000 >= LONG_TASK_MS) {
        H_ASSERT(false,
                 "%s never timed out: it waited %.3f s, for the whole task. Is the "
                 "deadline on the clock of the condition variable (CLOCK_MONOTONIC)?",
                 o.what, o.took);
        return -1;
    }
    if (!ASSERT_RC_OF(o, -ETIMEDOUT))
        return -1;
    if (!H_ASSERT(o.took >= 0.099,
                  "%s gave up after %.3f s, before its deadline: is the deadline absolute "
                  "(now + timeout), on CLOCK_MONOTONIC like the condition variable?",
                  o.what, o.took))
        return -1;
    H_ASSERT_RC(o.r.status, -ECANCELED);
    H_ASSERT_EQ(o.saw_token, 1);
    return o.took;
}

static void wait_for_times_out_near_deadline(void)
{
    double best;

    h_wake_reset();
    best = h_best_time(late_attempt, NULL, 0.1 * LATE_LIMIT);
    if (best >= 0 && !h_sanitized())
        H_ASSERT_TIME_WITHIN("wait_for of a 1 s task with a 100 ms limit", best, 0.100, LATE_LIMIT);
    H_ASSERT(h_wake_stats().realtime == 0,
             "wait_for's deadline is CLOCK_REALTIME time: the wall clock, which jumps when the "
             "date is set. Use CLOCK_MONOTONIC for the deadline and the condition variable");
}

static void wait_for_cancels_and_joins(void)
{
    struct sleeper slow = { .run_ms = LONG_TASK_MS, .cleanup_ms = 50, .value = 1 };
    struct sleeper deaf = { .run_ms = 200, .deaf = true, .value = 7 };
    int threads = h_count_threads();
    /* A task that takes 50 ms to stop: wait_for returns after it has, not before. */
    struct outcome o = run_wait_for(slow, 50);

    ASSERT_RC_OF_FATAL(o, -ETIMEDOUT);
    H_ASSERT(o.saw_token == 1, "the late task never saw its cancel token set: wait_for sets "
                               "it, and the task reads it with cancel_requested");
    ASSERT_TASK_OVER(o, threads);
    H_ASSERT_RC(o.r.status, -ECANCELED);
    H_ASSERT(o.took >= 0.100, "%s returned after %.3f s, before its task had stopped", o.what,
             o.took);

    /* A task that never checks its token cannot be stopped: wait_for waits for it, and since
     * the deadline decides, the call is late even though the task then succeeded. */
    o = run_wait_for(deaf, 50);
    ASSERT_RC_OF(o, -ETIMEDOUT);
    ASSERT_TASK_OVER(o, threads);
    H_ASSERT_EQ(o.r.status, 0);
    H_ASSERT_EQ(o.r.value, 7);
}

/* ---- spurious wake-ups, on demand ----
 * POSIX lets pthread_cond_timedwait return 0 when nothing was signalled; a wait in an `if`
 * then takes that wake-up for the task's end, or for the deadline. The kit's wake.h turns every
 * other wait into a wake-up for nothing, SPURIOUS_MS late (the mutex released meanwhile, as in a
 * real wait), and counts the waits and the clocks of their deadlines. A deadline recomputed
 * after each wake-up drifts later by that much.
 */
#define SPURIOUS_MS    40   /* how long a wait sleeps before its spurious wake-up */
#define SPURIOUS_LIMIT 1.25 /* a deadline pushed back by one spurious wake-up takes 1.40x */

/* run_wait_for with spurious wake-ups on; stores how many timed waits it made in *waits. */
static struct outcome run_spuriously(struct sleeper s, int timeout_ms, int *waits)
{
    struct outcome o;

    h_wake_reset();
    h_wake_spurious(2, SPURIOUS_MS);
    o = run_wait_for(s, timeout_ms);
    h_wake_spurious(0, 0);
    *waits = h_wake_stats().timed;
    return o;
}

static double spurious_late_attempt(void *arg)
{
    struct sleeper s = { .run_ms = LONG_TASK_MS, .value = 1 };
    int waits;
    struct outcome o = run_spuriously(s, 100, &waits);

    (void)arg;
    if (!H_ASSERT(o.rc != 0,
                  "%s: a spurious wake-up ended the wait, and it never timed out. "
                  "Wait in a while loop until the task is done or the deadline",
                  o.what))
        return -1;
    if (!ASSERT_RC_OF(o, -ETIMEDOUT))
        return -1;
    if (!H_ASSERT(o.took >= 0.099,
                  "%s gave up after %.3f s, before its deadline, when its wait woke up for "
                  "nothing: wait in a while loop until the task is done or the deadline",
                  o.what, o.took))
        return -1;
    return o.took;
}

static void wait_for_survives_spurious_wakeups(void)
{
    struct sleeper s = { .run_ms = 200, .value = 9 };
    int waits;
    struct outcome o = run_spuriously(s, 2000, &waits);
    double best;

    ASSERT_RC_OF_FATAL(o, 0);
    H_ASSERT_FATAL(waits > 0, "wait_for never called pthread_cond_timedwait: wait on a condition "
                              "variable (timed on CLOCK_MONOTONIC)");
    H_ASSERT_EQ(o.r.value, 9);
    H_ASSERT(o.finished == 1,
             "%s returned before its task was done, after a wake-up for "
             "nothing: re-check the condition in a while loop",
             o.what);
    best = h_best_time(spurious_late_attempt, NULL, 0.1 * SPURIOUS_LIMIT);
    if (best >= 0 && !h_sanitized())
        H_ASSERT_TIME_WITHIN("wait_for, 100 ms limit, with a spurious wake-up at 40 ms (is the "
                             "deadline computed once?)",
                             best, 0.100, SPURIOUS_LIMIT);
}

/* ---- blocking, not polling ---- */

#define MAX_WAKEUPS 10 /* times the waiting thread may fall asleep in the 300 ms wait */

/* The fewest times the calling thread fell asleep in one wait_for so far, and that wait's time. */
static long fewest_sleeps = -1;
static double fewest_took;

/* One timed-out wait_for of 300 ms, its CPU use and its count of sleeps measured. */
static int wait_asleep(void *arg, struct h_usage *u)
{
    struct sleeper s = { .run_ms = LONG_TASK_MS };
    struct rusage before, after;
    struct outcome o;

    (void)arg;
    getrusage(RUSAGE_THREAD, &before);
    h_usage_start(u);
    o = run_wait_for(s, 300);
    h_usage_stop(u);
    getrusage(RUSAGE_THREAD, &after);
    if (!ASSERT_RC_OF(o, -ETIMEDOUT))
        return -1;
    if (fewest_sleeps < 0 || after.ru_nvcsw - before.ru_nvcsw < fewest_sleeps) {
        fewest_sleeps = after.ru_nvcsw - before.ru_nvcsw;
        fewest_took = o.took;
    }
    return 0;
}

static void wait_for_sleeps_while_waiting(void)
{
    H_ASSERT_MOSTLY_ASLEEP_BEST("wait_for, 300 ms until its deadline", wait_asleep, NULL, 0.20);
    if (fewest_sleeps > MAX_WAKEUPS) /* counting, but what else runs can wake us: best of 3 */
        for (int i = 1; i < H_TRIES && fewest_sleeps > MAX_WAKEUPS; i++) {
            struct h_usage u;

            if (wait_asleep(NULL, &u) < 0)
                return;
        }
    /* A blocked wait falls asleep once; a loop of short sleeps again and again. */
    H_ASSERT(fewest_sleeps <= MAX_WAKEUPS,
             "the calling thread fell asleep %ld times in %.3f s (allowed %d, best of %d): a "
             "loop of short sleeps? Sleep on the condition variable until the deadline instead",
             fewest_sleeps, fewest_took, MAX_WAKEUPS, H_TRIES);
}

/* ---- edges ---- */

static void wait_for_zero_and_far_deadlines(void)
{
    struct sleeper late = { .run_ms = LONG_TASK_MS }, soon = { .run_ms = 30, .value = 5 };
    int threads = h_count_threads();
    /* 0: the task still starts, is told at once to stop, and the call does not wait. */
    struct outcome o = run_wait_for(late, 0);

    ASSERT_RC_OF_FATAL(o, -ETIMEDOUT);
    H_ASSERT(o.started == 1, "with a timeout of 0 the task must still start");
    H_ASSERT_EQ(o.saw_token, 1);
    H_ASSERT(o.took < 0.5, "%s took %.3f s", o.what, o.took);
    ASSERT_TASK_OVER(o, threads);

    /* INT_MAX ms, 24 days: a deadline that must not overflow into the past. */
    o = run_wait_for(soon, INT_MAX);
    ASSERT_RC_OF(o, 0);
    H_ASSERT_EQ(o.r.value, 5);
    H_ASSERT(o.took < 1.0, "%s took %.3f s", o.what, o.took);
    ASSERT_TASK_OVER(o, threads);
}

static void wait_for_rejects_bad_arguments(void)
{
    static struct sleeper s = { .run_ms = 0 }; /* static: see run_wait_for */
    struct timed_task t = { .fn = sleeper_fn, .arg = &s }, no_fn = { .fn = NULL };
    struct task_result r = { 0 };

    H_ASSERT_RC_FATAL(wait_for(&t, -1, &r), -EINVAL);
    H_ASSERT_RC(wait_for(&t, INT_MIN, &r), -EINVAL);
    H_ASSERT_RC(wait_for(NULL, 100, &r), -EINVAL);
    H_ASSERT_RC(wait_for(&no_fn, 100, &r), -EINVAL);
    H_ASSERT_RC(wait_for(&t, 100, NULL), -EINVAL);
    H_ASSERT(atomic_load(&s.started) == 0, "the task ran although wait_for refused the call");
}

/* ---- nothing left behind ---- */

#define LEAK_ROUNDS 100        /* calls, half of them timed out */
#define LEAK_MAX_KB (64 << 10) /* growth of the address space allowed over them: 64 MiB */

/* The size of this process's address space (VmSize), in KiB, or -1. A thread that is never
 * joined keeps its stack mapped (8 MiB by default) after it ends. */
static long vm_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;

    if (!f)
        return -1;
    while (fgets(line, sizeof(line), f))
        if (strncmp(line, "VmSize:", 7) == 0)
            kb = atol(line + 7);
    fclose(f);
    return kb;
}

static void wait_for_leaks_nothing(void)
{
    int threads = h_count_threads(), fds = h_count_fds();
    long vm_before = -1, grown;

    for (int i = 0; i <= LEAK_ROUNDS; i++) {
        bool late = i % 2 == 1;
        struct sleeper s = { .run_ms = late ? LONG_TASK_MS : 0, .value = i };
        struct outcome o = run_wait_for(s, late ? 1 : 1000);

        ASSERT_RC_OF_FATAL(o, late ? -ETIMEDOUT : 0);
        H_ASSERT_FATAL(o.finished == 1, "call %d returned while its task was still running", i);
        H_ASSERT_FATAL(o.took < 0.5, "call %d, %s, took %.3f s: %s", i, o.what, o.took,
                       late ? "is the late task told to stop?"
                            : "a lost wake-up? Set done and signal with the mutex held");
        if (i == 0)
            vm_before = vm_kb(); /* after one call: the C library keeps a stack for reuse */
    }
    grown = vm_kb() - vm_before;
    H_ASSERT(grown <= LEAK_MAX_KB,
             "the address space grew by %ld MiB over %d calls: a thread that is never joined "
             "keeps its stack (8 MiB). Join the thread on every path, the fast one too",
             grown >> 10, LEAK_ROUNDS);
    H_ASSERT_EQ(h_settled_threads(threads, 1000), threads);
    H_ASSERT_EQ(h_count_fds(), fds);
}

/* ---- fetch_with_timeout ---- */

#define STALL_MS 200 /* the limit given to a request that never gets an answer */

/* One fetch_with_timeout, run on a thread of the test's so that a fetch that never times out
 * fails the test instead of hanging it. Static: a fetch still stuck when the test gives up
 * may write here until the process ends. */
static struct guarded {
    const char *url;
    int timeout_ms;
    struct fetch_result out;
    int rc;
    atomic_bool done;
} guarded;

static void *guarded_main(void *arg)
{
    (void)arg;
    guarded.rc = fetch_with_timeout(guarded.url, guarded.timeout_ms, &guarded.out);
    atomic_store(&guarded.done, true);
    return NULL;
}

/* libcurl's memory functions (curl_global_init_mem, in the suite's setup) look at SIGPIPE's
 * handling while libcurl works during a guarded fetch: without CURLOPT_NOSIGNAL, libcurl
 * switches the whole process's handling around its calls, which races with every other thread. */
static atomic_bool watching;
static atomic_int sigpipe_changes;

static void on_sigpipe(int sig)
{
    (void)sig;
}

static void seen_in_libcurl(void)
{
    struct sigaction sa;

    if (atomic_load(&watching) && sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler != on_sigpipe)
        atomic_fetch_add(&sigpipe_changes, 1);
}

static void *watched_malloc(size_t size)
{
    seen_in_libcurl();
    return malloc(size);
}

static void *watched_realloc(void *p, size_t size)
{
    seen_in_libcurl();
    return realloc(p, size);
}

static char *watched_strdup(const char *s)
{
    seen_in_libcurl();
    return strdup(s);
}

static void *watched_calloc(size_t n, size_t size)
{
    seen_in_libcurl();
    return calloc(n, size);
}

/* Calls fetch_with_timeout(url, timeout_ms, out); stores its wall time in *took_s. */
static int guarded_fetch(const char *url, int timeout_ms, struct fetch_result *out, double *took_s)
{
    int64_t start = h_now_ns(), give_up = h_deadline_ms(5 * timeout_ms + 2000);
    pthread_t thread;
    int rc;

    guarded = (struct guarded){ .url = url, .timeout_ms = timeout_ms };
    atomic_store(&watching, true);
    rc = pthread_create(&thread, NULL, guarded_main, NULL);
    H_ASSERT_EQ_FATAL(rc, 0);
    while (!atomic_load(&guarded.done) && h_now_ns() < give_up)
        h_sleep_ms(1); /* the test's own watchdog: its polling is not what is graded */
    H_ASSERT_FATAL(atomic_load(&guarded.done),
                   "fetch_with_timeout(\"%s\", %d) still had not returned after %.1f s: is "
                   "CURLOPT_TIMEOUT_MS set? (To libcurl, 0 means no limit at all.)",
                   url, timeout_ms, h_ns_to_s(h_now_ns() - start));
    pthread_join(thread, NULL);
    atomic_store(&watching, false);
    *took_s = h_ns_to_s(h_now_ns() - start);
    *out = guarded.out;
    return guarded.rc;
}

static double stall_attempt(void *arg)
{
    const struct h_server *srv = arg;
    struct fetch_result out = { .body = NULL };
    char url[128];
    double took;
    int rc = guarded_fetch(h_server_url(srv, url, sizeof(url), "/stall"), STALL_MS, &out, &took);

    if (!h_assert_rc(rc, -ETIMEDOUT, false, __FILE__, __LINE__, "fetch_with_timeout(/stall)") ||
        !H_ASSERT(out.body == NULL, "a timeout, yet a body"))
        return -1;
    if (!H_ASSERT(took * 1000 >= STALL_MS - 2, "/stall with %d ms gave up after %.3f s", STALL_MS,
                  took))
        return -1;
    return took;
}

static void fetch_with_timeout_stops_a_stalled_request(void)
{
    struct h_server srv;
    struct fetch_result out = { .body = NULL };
    char url[128];
    double took, best;

    H_ASSERT_RC_FATAL(h_server_start(&srv, NULL), 0);
    best = h_best_time(stall_attempt, &srv, STALL_MS * LATE_LIMIT / 1000);
    if (best >= 0 && !h_sanitized())
        H_ASSERT_TIME_WITHIN("fetch_with_timeout of /stall, 200 ms limit", best, STALL_MS / 1000.0,
                             LATE_LIMIT);
    /* 0 ms is no time at all: a timeout at once (which CURLOPT_TIMEOUT_MS 0 is not). */
    H_ASSERT_RC(guarded_fetch(h_server_url(&srv, url, sizeof(url), "/stall"), 0, &out, &took),
                -ETIMEDOUT);
    H_ASSERT(took < 0.5, "a timeout of 0 took %.3f s", took);
    free(out.body);
    /* Time runs out after part of the body came (a byte every 30 ms, 200 ms allowed): still a
     * timeout, and nothing in *out; what had arrived is freed, not handed over. */
    out = (struct fetch_result){ .body = NULL };
    H_ASSERT_RC(guarded_fetch(h_server_url(&srv, url, sizeof(url), "/drip/40?interval=30"),
                              STALL_MS, &out, &took),
                -ETIMEDOUT);
    H_ASSERT(out.body == NULL && out.size == 0,
             "a transfer timed out half-way through its body, and out holds %zu bytes of it "
             "(body %s): on a timeout, free what arrived and leave body NULL",
             out.size, out.body ? "set" : "NULL");
    free(out.body);
    H_ASSERT_RC(h_server_stop(&srv), 0);
}

/* A port on 127.0.0.1 where nothing listens (bound, so that nobody else takes it, but not
 * listening: a connection is refused). Returns the socket, to close after use, or -1. */
static int refusing_socket(int *port)
{
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    if (fd < 0)
        return -1;
    if (bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) != 0) {
        close(fd);
        return -1;
    }
    *port = ntohs(a.sin_port);
    return fd;
}

/* GETs path from srv with a 2 s limit, which must not fire; returns the status code, or -1. */
static long fetch_fast(const struct h_server *srv, const char *path, struct fetch_result *out)
{
    char url[128];
    double took;
    int rc = guarded_fetch(h_server_url(srv, url, sizeof(url), "%s", path), 2000, out, &took);

    if (!h_assert_rc(rc, 0, false, __FILE__, __LINE__, url) ||
        !H_ASSERT(out->body != NULL, "%s: no body", path))
        return -1;
    H_ASSERT(took < 1.5, "%s with a 2 s limit took %.3f s", path, took);
    H_ASSERT_EQ(strlen(out->body), out->size);
    return out->status;
}

static void fetch_with_timeout_lets_fast_requests_finish(void)
{
    struct h_server srv;
    struct fetch_result out = { .body = NULL };
    char url[128];
    double took;
    int fds, refuser, port = 0;

    H_ASSERT_RC_FATAL(h_server_start(&srv, NULL), 0);
    fds = h_count_fds();
    atomic_store(&sigpipe_changes, 0);
    H_ASSERT_EQ(fetch_fast(&srv, "/delay/100", &out), 200);
    free(out.body);
    H_ASSERT(atomic_load(&sigpipe_changes) == 0,
             "libcurl switched the process's SIGPIPE handling %d times during one request: set "
             "CURLOPT_NOSIGNAL (with threads, that switching races with every other thread)",
             atomic_load(&sigpipe_changes));
    if (H_ASSERT_EQ(fetch_fast(&srv, "/bytes/1000", &out), 200) && H_ASSERT_EQ(out.size, 1000))
        H_ASSERT_EQ(out.body[999], 'a' + 999 % 26); /* latencyd's byte i is 'a' + i % 26 */
    free(out.body);
    H_ASSERT_EQ(fetch_fast(&srv, "/status/404", &out), 404); /* a response, if not a good one */
    free(out.body);
    /* An empty body is a body: "", not NULL. */
    for (int i = 0; i < 2; i++) {
        const char *path = i ? "/status/204" : "/bytes/0";

        if (H_ASSERT_EQ(fetch_fast(&srv, path, &out), i ? 204 : 200))
            H_ASSERT(out.size == 0 && out.body[0] == '\0', "%s: %zu bytes, want an empty body \"\"",
                     path, out.size);
        free(out.body);
    }
    H_ASSERT_EQ(h_count_fds(), fds);
    H_ASSERT_RC(h_server_stop(&srv), 0);

    /* Errors that are not timeouts are not reported as timeouts. */
    refuser = refusing_socket(&port);
    H_ASSERT_FATAL(refuser >= 0, "no free port for the refused connection");
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/", port);
    H_ASSERT_RC(guarded_fetch(url, 2000, &out, &took), -ECONNREFUSED);
    H_ASSERT(out.body == NULL, "a refused connection, yet a body");
    close(refuser);
    /* URLs libcurl cannot use: -EINVAL, not a failed transfer. */
    H_ASSERT_RC(guarded_fetch("nosuchscheme://127.0.0.1/", 2000, &out, &took), -EINVAL);
    H_ASSERT(out.body == NULL, "a URL libcurl refuses, yet a body");
    H_ASSERT_RC(guarded_fetch("http://127.0.0.1:99999/", 2000, &out, &took), -EINVAL);
    H_ASSERT(out.body == NULL, "a URL libcurl refuses, yet a body");
    H_ASSERT_RC(fetch_with_timeout(NULL, 100, &out), -EINVAL);
    H_ASSERT_RC(fetch_with_timeout(url, -1, &out), -EINVAL);
    H_ASSERT_RC(fetch_with_timeout(url, 100, NULL), -EINVAL);
}

/* libcurl watched (see guarded_fetch), and SIGPIPE with a handler of the test's own. */
static int setup(void)
{
    struct sigaction sa = { .sa_handler = on_sigpipe };

    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGPIPE, &sa, NULL) != 0)
        return -errno;
    return curl_global_init_mem(CURL_GLOBAL_DEFAULT, watched_malloc, free, watched_realloc,
                                watched_strdup, watched_calloc) == CURLE_OK
               ? 0
               : -ENOMEM;
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
            { H_TEST(wait_for_returns_result, 1) },
            { H_TEST(wait_for_times_out_near_deadline, 1) },
            { H_TEST(wait_for_cancels_and_joins, 1) },
            { H_TEST(wait_for_survives_spurious_wakeups, 1) },
            { H_TEST(wait_for_sleeps_while_waiting, 1) },
            { H_TEST(wait_for_zero_and_far_deadlines, 1) },
            { H_TEST(wait_for_rejects_bad_arguments, 1) },
            { H_TEST(wait_for_leaks_nothing, 1) },
            { H_TEST(fetch_with_timeout_stops_a_stalled_request, 1) },
            { H_TEST(fetch_with_timeout_lets_fast_requests_finish, 1) },
            { 0 },
        },
};
