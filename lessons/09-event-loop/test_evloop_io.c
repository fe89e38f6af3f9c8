/* test_evloop_io.c: readers and writers on fds, sleeping while idle, and calls from other
 * threads that wake the loop. */
#define _GNU_SOURCE /* RUSAGE_THREAD, pipe2 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "clock.h"
#include "proc.h"
#include "test_evloop.h"

/* ---- readers ---- */

static int rd_calls, rd_bytes, rd_after_removal, pair_calls, writer_calls, rd_write_fd;
static bool rd_removed;
static int pair_fds[2];
static struct ev_timer rd_timers[5];

static void write_byte(struct ev_loop *loop, void *arg)
{
    (void)loop;
    (void)arg;
    if (write(rd_write_fd, "x", 1) != 1)
        rd_after_removal += 1000;
}

/* Reads what there is; each byte read arms the write of the next, 2 ms later, so that bytes
 * come one at a time however slow the machine. After 3 bytes the reader removes itself, and
 * two more bytes are written, which it must never see. */
static void on_read(struct ev_loop *loop, int fd, void *arg)
{
    char buf[16];
    ssize_t n;

    (void)arg;
    if (rd_removed)
        rd_after_removal++;
    rd_calls++;
    while ((n = read(fd, buf, sizeof(buf))) > 0)
        rd_bytes += (int)n;
    if (rd_bytes < 3) {
        if (ev_call_later(loop, &rd_timers[rd_bytes], 2, write_byte, NULL) != 0)
            rd_after_removal += 100;
    } else if (!rd_removed) {
        rd_removed = true;
        if (ev_remove_reader(loop, fd) != 0 ||
            ev_call_later(loop, &rd_timers[3], 5, write_byte, NULL) != 0 ||
            ev_call_later(loop, &rd_timers[4], 10, write_byte, NULL) != 0)
            rd_after_removal += 100;
    }
}

/* Each of two readable pipes' readers removes both readers: only one of them may run. */
static void on_pair(struct ev_loop *loop, int fd, void *arg)
{
    (void)fd;
    (void)arg;
    pair_calls++;
    ev_remove_reader(loop, pair_fds[0]);
    ev_remove_reader(loop, pair_fds[1]);
}

static void on_writable(struct ev_loop *loop, int fd, void *arg)
{
    (void)arg;
    writer_calls++;
    ev_remove_writer(loop, fd);
}

void ev_readers_follow_the_fd(void)
{
    int fds_before = h_count_fds(), p[2], a[2], b[2], left;
    struct ev_loop *loop = new_loop();
    struct ev_timer first = { 0 };
    char buf[8];

    H_ASSERT_RC_FATAL(pipe2(p, O_NONBLOCK | O_CLOEXEC), 0);
    rd_write_fd = p[1];
    H_ASSERT_RC_FATAL(ev_add_reader(loop, p[0], on_read, NULL), 0);
    H_ASSERT_RC_FATAL(ev_call_later(loop, &first, 2, write_byte, NULL), 0);
    H_ASSERT_RC(run_loop(loop, 2000, "a reader and timers writing to its pipe", NULL), 0);
    H_ASSERT(rd_bytes == 3 && rd_calls == 3,
             "the reader ran %d times and read %d bytes, want 3 and 3: a byte was written "
             "each time, and the reader must run in a turn soon after (epoll, level-triggered)",
             rd_calls, rd_bytes);
    H_ASSERT(rd_after_removal == 0, "the reader ran %d times after ev_remove_reader",
             rd_after_removal);
    left = (int)read(p[0], buf, sizeof(buf));
    H_ASSERT(left == 2, "the pipe held %d bytes after the loop, want 2: who read them?", left);

    /* Two fds ready in the same turn, each reader removing both: the second must not run. */
    H_ASSERT_RC_FATAL(pipe2(a, O_NONBLOCK | O_CLOEXEC), 0);
    H_ASSERT_RC_FATAL(pipe2(b, O_NONBLOCK | O_CLOEXEC), 0);
    pair_fds[0] = a[0];
    pair_fds[1] = b[0];
    H_ASSERT_EQ_FATAL(write(a[1], "x", 1), 1);
    H_ASSERT_EQ_FATAL(write(b[1], "x", 1), 1);
    H_ASSERT_RC_FATAL(ev_add_reader(loop, a[0], on_pair, NULL), 0);
    H_ASSERT_RC_FATAL(ev_add_reader(loop, b[0], on_pair, NULL), 0);
    H_ASSERT_RC_FATAL(ev_add_writer(loop, a[1], on_writable, NULL), 0);
    H_ASSERT_RC(run_loop(loop, 2000, "two readable pipes and a writable one", NULL), 0);
    H_ASSERT(pair_calls == 1,
             "%d readers ran, want 1: two pipes were readable in the same turn, and the first "
             "reader removed the other's; a reader removed must not run, even for readiness "
             "epoll has reported already (look it up again before each callback)",
             pair_calls);
    H_ASSERT(writer_calls == 1,
             "the writer of a writable pipe ran %d times, want 1 (it "
             "removed itself)",
             writer_calls);
    ev_loop_destroy(loop);
    for (int i = 0; i < 2; i++) {
        close(p[i]);
        close(a[i]);
        close(b[i]);
    }
    H_ASSERT(h_count_fds() == fds_before,
             "%d fds more than before ev_loop_create: ev_loop_destroy closes the epoll fd and "
             "the wake-up fd",
             h_count_fds() - fds_before);
}

/* ---- asleep while waiting ---- */

#define IDLE_MS    200
#define MAX_CPU    0.10 /* of the wall time, while the loop waits */
#define MAX_SLEEPS 10   /* times the loop's thread may fall asleep during one wait */

static long sleeps_at_start, sleeps_at_end;
static int idle_fds[2];

static long my_sleeps(void)
{
    struct rusage ru;

    return getrusage(RUSAGE_THREAD, &ru) == 0 ? ru.ru_nvcsw : -1;
}

static void mark_start(struct ev_loop *loop, void *arg)
{
    (void)loop;
    (void)arg;
    sleeps_at_start = my_sleeps();
}

static void mark_end(struct ev_loop *loop, void *arg)
{
    (void)loop;
    (void)arg;
    sleeps_at_end = my_sleeps();
}

static void mark_end_read(struct ev_loop *loop, int fd, void *arg)
{
    char c;

    (void)arg;
    sleeps_at_end = my_sleeps();
    if (read(fd, &c, 1) != 1)
        sleeps_at_end = -1;
    ev_remove_reader(loop, fd);
}

static void check_slept(const char *what, const struct h_usage *u)
{
    long sleeps = sleeps_at_end - sleeps_at_start;

    H_ASSERT_MOSTLY_ASLEEP(what, *u, MAX_CPU);
    H_ASSERT(sleeps_at_start >= 0 && sleeps >= 0 && sleeps <= MAX_SLEEPS,
             "%s: the loop's thread fell asleep %ld times, allowed %d: a loop that polls with "
             "a short timeout (0 or 1 ms) wakes up hundreds of times; sleep until the next "
             "deadline, or forever when no timer is armed",
             what, sleeps, MAX_SLEEPS);
}

void ev_sleeps_while_waiting(void)
{
    struct ev_loop *loop = new_loop();
    struct ev_timer t = { 0 };
    struct loop_run *r;
    struct h_usage u;

    /* Waiting for a timer. */
    H_ASSERT_RC_FATAL(ev_call_soon(loop, mark_start, NULL), 0);
    H_ASSERT_RC_FATAL(ev_call_later(loop, &t, IDLE_MS, mark_end, NULL), 0);
    h_usage_start(&u);
    H_ASSERT_RC(run_loop(loop, 3000, "a 200 ms timer", NULL), 0);
    h_usage_stop(&u);
    check_slept("ev_run waiting 200 ms for a timer", &u);

    /* Waiting for an fd, with no timer at all. */
    H_ASSERT_RC_FATAL(pipe2(idle_fds, O_NONBLOCK | O_CLOEXEC), 0);
    H_ASSERT_RC_FATAL(ev_call_soon(loop, mark_start, NULL), 0);
    H_ASSERT_RC_FATAL(ev_add_reader(loop, idle_fds[0], mark_end_read, NULL), 0);
    h_usage_start(&u);
    r = start_loop(loop);
    h_sleep_ms(IDLE_MS);
    H_ASSERT_EQ(write(idle_fds[1], "x", 1), 1);
    H_ASSERT_RC(finish_loop(r, 3000, "a write to the pipe it reads"), 0);
    h_usage_stop(&u);
    check_slept("ev_run waiting 200 ms for a pipe", &u);
    ev_loop_destroy(loop);
    close(idle_fds[0]);
    close(idle_fds[1]);
}

/* ---- calls from other threads ---- */

#define FAR_MS    10000 /* the timer a loop sleeps on while it waits for a call */
#define WAKE_MS   2     /* a call must wake it within this (best of 3, not under sanitizers) */
#define ROUNDS    2000  /* calls raced against the loop's going to sleep (a tenth when sanitized) */
#define RACE_WAIT 1000  /* ms a raced call may take before it counts as lost */

static struct ev_timer far;
static int64_t woke_ns;

static void far_cb(struct ev_loop *loop, void *arg)
{
    (void)loop;
    (void)arg;
    woke_ns = -1; /* the far timer fired: the call never woke the loop */
}

static void woke_cb(struct ev_loop *loop, void *arg)
{
    (void)arg;
    woke_ns = h_now_ns();
    ev_timer_cancel(loop, &far); /* nothing left: ev_run returns */
}

/* One call into a sleeping loop: the seconds from the call to its callback, or -1. */
static double wake_attempt(void *arg)
{
    struct ev_loop *loop = new_loop();
    struct loop_run *r;
    int64_t called;

    (void)arg;
    far = (struct ev_timer){ 0 };
    woke_ns = 0;
    H_ASSERT_RC_FATAL(ev_call_later(loop, &far, FAR_MS, far_cb, NULL), 0);
    r = start_loop(loop);
    H_ASSERT_FATAL(h_call_asleep(&r->call, 1000), "ev_run on a loop with a 10 s timer did not "
                                                  "fall asleep within 1 s: a busy loop?");
    called = h_now_ns();
    H_ASSERT_RC(ev_call_soon_threadsafe(loop, woke_cb, NULL), 0);
    H_ASSERT_FATAL(h_call_wait(&r->call, 2000),
                   "ev_call_soon_threadsafe did not wake a loop asleep on a 10 s timer: after "
                   "queueing the call, write the loop's eventfd (or pipe), which is in its "
                   "epoll set");
    H_ASSERT_RC(finish_loop(r, 0, "the call"), 0);
    ev_loop_destroy(loop);
    return woke_ns > 0 ? h_ns_to_s(woke_ns - called) : -1;
}

/* From a callback on the loop's own thread: the loop is not asleep then, but about to be. */
static void call_from_inside(struct ev_loop *loop, void *arg)
{
    (void)arg;
    if (ev_call_soon_threadsafe(loop, woke_cb, NULL) != 0)
        woke_ns = -2;
}

/* The race: a thread makes two calls close together, again and again, the second aimed at the
 * moment the loop takes the first from its queue and is about to go back to sleep. The loop
 * runs the first call's callback just after that moment, so the thread times how long the
 * first call takes to run, and aims the second a little earlier than that, each round anew. */
struct racer {
    struct h_call call;
    struct ev_loop *loop;
    int rounds;     /* how many */
    int lost_round; /* the round whose calls never all ran, or -1 */
};

static pthread_mutex_t ping_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ping_cond;
static long pings;
static int64_t first_ping_ns; /* when the first call of the round ran */

static void ping(struct ev_loop *loop, void *arg)
{
    (void)loop;
    (void)arg;
    pthread_mutex_lock(&ping_lock);
    if (pings++ % 2 == 0)
        first_ping_ns = h_now_ns();
    pthread_cond_signal(&ping_cond);
    pthread_mutex_unlock(&ping_lock);
}

static void spin_until(int64_t t)
{
    while (h_now_ns() < t)
        ;
}

#define AIMS 16 /* recent wake-up latencies the second call is aimed by */

static void racer_fn(struct h_call *c)
{
    struct racer *rc = (struct racer *)c;
    int64_t latency[AIMS] = { 0 };

    rc->lost_round = -1;
    for (int round = 0; round < rc->rounds && rc->lost_round < 0; round++) {
        int64_t deadline = h_deadline_ms(RACE_WAIT), called, aim;
        struct timespec ts = { deadline / H_NS_PER_S, deadline % H_NS_PER_S };
        int err = 0;

        called = h_now_ns();
        if (ev_call_soon_threadsafe(rc->loop, ping, NULL) != 0)
            rc->lost_round = round;
        /* Somewhere in the few microseconds before the first call ran, last time. */
        aim = latency[rnd(AIMS)] * (int64_t)rnd(1000) / 1000;
        spin_until(called + (aim > 0 ? aim : 0));
        if (ev_call_soon_threadsafe(rc->loop, ping, NULL) != 0)
            rc->lost_round = round;
        pthread_mutex_lock(&ping_lock);
        while (pings < 2L * (round + 1) && err == 0)
            err = pthread_cond_timedwait(&ping_cond, &ping_lock, &ts);
        if (pings < 2L * (round + 1))
            rc->lost_round = round;
        latency[round % AIMS] = first_ping_ns - called;
        pthread_mutex_unlock(&ping_lock);
    }
    ev_call_soon_threadsafe(rc->loop, woke_cb, NULL); /* ends the loop */
}

/* ---- a call that lands while the loop clears its wake-up fd ----
 * The loop must clear its eventfd (or pipe) first and take the queued calls after: then a
 * call that comes in between is either taken, or its write leaves the fd readable. Done the
 * other way round, a call landing between the two loses its write. Real threads hit that
 * window rarely, so this file stands in for read(): while `inject_tid` names the loop's
 * thread, that thread's first read of an eventfd or a pipe makes one ev_call_soon_threadsafe
 * just before the real read runs, exactly in the window. Every other read goes straight to
 * the C library's (or, in a sanitizer build, to the sanitizer's wrapper of it). */
typedef ssize_t read_func(int fd, void *buf, size_t n);

static atomic_int inject_tid; /* the loop's thread, while armed; 0 otherwise */
static struct ev_loop *_Atomic inject_loop;
static atomic_int injected; /* calls made by the stand-in */
static read_func *real_read;
static pthread_once_t real_read_once = PTHREAD_ONCE_INIT;

static void find_real_read(void)
{
    void *f = dlsym(RTLD_DEFAULT, "__interceptor_read");

    if (!f)
        f = dlsym(RTLD_NEXT, "read");
    real_read = (read_func *)f;
}

/* Is fd an eventfd or a pipe: a wake-up fd? */
static bool wakeup_fd(int fd)
{
    char path[64], target[64];
    ssize_t n;

    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    n = readlink(path, target, sizeof(target) - 1);
    if (n <= 0)
        return false;
    target[n] = '\0';
    return strstr(target, "eventfd") != NULL || strncmp(target, "pipe:", 5) == 0;
}

ssize_t read(int fd, void *buf, size_t n)
{
    int tid = atomic_load(&inject_tid);

    pthread_once(&real_read_once, find_real_read);
    if (tid != 0 && tid == my_tid() && wakeup_fd(fd) &&
        atomic_compare_exchange_strong(&inject_tid, &tid, 0)) {
        if (ev_call_soon_threadsafe(atomic_load(&inject_loop), woke_cb, NULL) == 0)
            atomic_fetch_add(&injected, 1);
    }
    return real_read(fd, buf, n);
}

static void nothing_cb(struct ev_loop *loop, void *arg)
{
    (void)loop;
    (void)arg;
}

void ev_threadsafe_call_wakes_the_loop(void)
{
    static struct racer racer;
    double best = h_best_time(wake_attempt, NULL, WAKE_MS / 1000.0);
    struct ev_loop *loop;
    struct ev_timer soon = { 0 };
    pthread_condattr_t attr;
    struct loop_run *r;

    H_ASSERT(best >= 0, "the far timer fired before the call's callback ran");
    if (best >= 0 && !h_sanitized())
        H_ASSERT(best <= WAKE_MS / 1000.0,
                 "ev_call_soon_threadsafe's callback ran %.3f ms after the call (best of %d), "
                 "allowed %d ms: a sleeping loop must be woken at once, not at its next timer",
                 best * 1e3, H_TRIES, WAKE_MS);

    /* From the loop's own thread, in a callback: the loop is about to sleep for 10 s. */
    loop = new_loop();
    far = (struct ev_timer){ 0 };
    woke_ns = 0;
    H_ASSERT_RC_FATAL(ev_call_later(loop, &far, FAR_MS, far_cb, NULL), 0);
    H_ASSERT_RC_FATAL(ev_call_later(loop, &soon, 5, call_from_inside, NULL), 0);
    r = start_loop(loop);
    H_ASSERT_FATAL(h_call_wait(&r->call, 2000),
                   "a call made with ev_call_soon_threadsafe from a callback was lost: the "
                   "loop then went to sleep on its 10 s timer. Write the eventfd on every "
                   "call (not only when the loop looks asleep), or count queued calls as "
                   "ready work when computing the epoll timeout");
    H_ASSERT_RC(finish_loop(r, 0, "the call"), 0);
    H_ASSERT(woke_ns > 0, "the call's callback did not run (woke_ns %lld)", (long long)woke_ns);

    /* The race, ROUNDS times. */
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&ping_cond, &attr);
    pthread_condattr_destroy(&attr);
    far = (struct ev_timer){ 0 };
    woke_ns = 0;
    H_ASSERT_RC_FATAL(ev_call_later(loop, &far, 60000, far_cb, NULL), 0);
    r = start_loop(loop);
    racer.loop = loop;
    racer.rounds = h_sanitized() ? ROUNDS / 10 : ROUNDS; /* each round is slow under chaos */
    H_ASSERT_RC_FATAL(h_call_start(&racer.call, racer_fn), 0);
    H_ASSERT_FATAL(h_call_wait(&racer.call, ROUNDS * 2 + 2 * RACE_WAIT + 2000),
                   "the racing thread never finished");
    h_call_join(&racer.call);
    H_ASSERT(racer.lost_round < 0,
             "in round %d of %d, a call from another thread had not run after %d ms: a "
             "wake-up was lost as the loop went back to sleep. Clear the eventfd before taking "
             "the queued calls, never after, and write it after queueing, always",
             racer.lost_round, racer.rounds, RACE_WAIT);
    H_ASSERT_FATAL(h_call_wait(&r->call, 2000), "the loop did not return after the race");
    H_ASSERT_RC(finish_loop(r, 0, "the race"), 0);

    /* A call made while the loop handles its wake-up fd, between clearing it and taking the
     * queued calls (whichever order the loop does them in). */
    far = (struct ev_timer){ 0 };
    woke_ns = 0;
    H_ASSERT_RC_FATAL(ev_call_later(loop, &far, FAR_MS, far_cb, NULL), 0);
    r = start_loop(loop);
    H_ASSERT_FATAL(h_call_asleep(&r->call, 1000), "ev_run did not fall asleep on its 10 s timer");
    atomic_store(&inject_loop, loop);
    atomic_store(&inject_tid, r->call.tid);
    H_ASSERT_RC(ev_call_soon_threadsafe(loop, nothing_cb, NULL), 0);
    H_ASSERT_FATAL(h_call_wait(&r->call, 2000),
                   "a call made while the loop was clearing its wake-up fd was lost (the loop "
                   "%s), and it slept on its 10 s timer: read (clear) the eventfd first, then "
                   "take the queued calls; a call that comes in between is then either taken "
                   "or leaves the fd readable",
                   atomic_load(&injected) ? "read its eventfd after taking the queued calls"
                                          : "never read an eventfd or pipe on its thread");
    atomic_store(&inject_tid, 0);
    H_ASSERT_RC(finish_loop(r, 0, "the call"), 0);
    H_ASSERT_EQ(atomic_load(&injected), 1);
    ev_loop_destroy(loop);
    pthread_cond_destroy(&ping_cond);
}
