/* test_evloop.c: the graded tests of lesson 09 (the event loop, and libcurl driven by it).
 *
 * This file holds the suite table, the helpers of test_evloop.h, and the tests of the ready
 * queue, of ev_run and ev_stop, and of bad arguments. The other test_evloop_*.c files hold the
 * rest (see test_evloop.h).
 */
#define _GNU_SOURCE /* gettid */
#include "test_evloop.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "clock.h"
#include "proc.h"
#include "suite.h"

/* ---- helpers ---- */

struct ev_loop *new_loop(void)
{
    struct ev_loop *loop = NULL;

    H_ASSERT_RC_FATAL(ev_loop_create(&loop), 0);
    H_ASSERT_FATAL(loop != NULL, "ev_loop_create returned 0 but left *out NULL");
    return loop;
}

static void loop_run_fn(struct h_call *c)
{
    struct loop_run *r = (struct loop_run *)c;

    r->tid = my_tid();
    r->rc = ev_run(r->loop);
}

#define MAX_RUNS 16
static struct loop_run runs[MAX_RUNS];
static int runs_used;

struct loop_run *start_loop(struct ev_loop *loop)
{
    struct loop_run *r;

    H_ASSERT_FATAL(runs_used < MAX_RUNS, "the test ran out of loop_run structs");
    r = &runs[runs_used++];
    *r = (struct loop_run){ .loop = loop, .rc = 1 };
    H_ASSERT_RC_FATAL(h_call_start(&r->call, loop_run_fn), 0);
    return r;
}

int finish_loop(struct loop_run *r, int ms, const char *what)
{
    H_ASSERT_FATAL(h_call_wait(&r->call, ms),
                   "ev_run had not returned %d ms after %s: does it return when nothing is "
                   "pending (no callback, no armed timer, no watched fd) and after ev_stop?",
                   ms, what);
    h_call_join(&r->call);
    return r->rc;
}

int run_loop(struct ev_loop *loop, int ms, const char *what, int *tid)
{
    struct loop_run *r = start_loop(loop);
    int rc = finish_loop(r, ms, what);

    if (tid)
        *tid = r->tid;
    return rc;
}

static uint64_t rnd_state = 0x9e3779b97f4a7c15u;

uint32_t rnd(uint32_t n)
{
    rnd_state = rnd_state * 6364136223846793005u + 1442695040888963407u;
    return (uint32_t)(rnd_state >> 33) % n;
}

int my_tid(void)
{
    return (int)gettid();
}

void check_threads_back(int before)
{
    int now = h_settled_threads(before, 200);

    H_ASSERT(now == before,
             "%d threads more than before the loop: the loop needs no thread of "
             "its own (its callbacks run on the thread that calls ev_run)",
             now - before);
}

/* ---- the ready queue: FIFO, and a turn takes only what was ready when it began ---- */

#define N_SOON   1000
#define SPIN_CAP 200000 /* a callback that reschedules itself gives up after this many runs */

static int soon_order[N_SOON], soon_ran;
static long spins;
static bool timer_fired, reader_ran, spinner_gave_up;
static char order[8];
static int order_len;

static void soon_cb(struct ev_loop *loop, void *arg)
{
    (void)loop;
    if (soon_ran < N_SOON)
        soon_order[soon_ran] = (int)(intptr_t)arg;
    soon_ran++;
}

static void spinner(struct ev_loop *loop, void *arg)
{
    (void)arg;
    if (timer_fired && reader_ran)
        return;
    if (++spins >= SPIN_CAP) {
        spinner_gave_up = true;
        return;
    }
    if (ev_call_soon(loop, spinner, NULL) != 0)
        spinner_gave_up = true;
}

static void fair_timer(struct ev_loop *loop, void *arg)
{
    (void)loop;
    (void)arg;
    timer_fired = true;
}

static void fair_reader(struct ev_loop *loop, int fd, void *arg)
{
    (void)arg;
    reader_ran = true;
    ev_remove_reader(loop, fd);
}

static void note(char c)
{
    if (order_len < (int)sizeof(order) - 1)
        order[order_len++] = c;
}

static void note_t(struct ev_loop *loop, void *arg)
{
    (void)loop;
    (void)arg;
    note('T');
}

static void note_s2(struct ev_loop *loop, void *arg)
{
    (void)loop;
    (void)arg;
    note('2');
}

static void note_s(struct ev_loop *loop, void *arg)
{
    (void)arg;
    note('S');
    if (ev_call_soon(loop, note_s2, NULL) != 0)
        note('!');
}

static void ev_call_soon_is_fifo_and_fair(void)
{
    struct ev_loop *loop = new_loop();
    struct ev_timer t = { 0 };
    int fds[2], rc;
    struct loop_run *r;

    /* FIFO: 1,000 callbacks run in the order they were scheduled, on the loop's thread. */
    for (int i = 0; i < N_SOON; i++)
        H_ASSERT_RC_FATAL(ev_call_soon(loop, soon_cb, (void *)(intptr_t)i), 0);
    r = start_loop(loop);
    H_ASSERT_RC(finish_loop(r, 2000, "1,000 ev_call_soon"), 0);
    H_ASSERT_EQ(soon_ran, N_SOON);
    for (int i = 0; i < N_SOON && i < soon_ran; i++)
        if (!H_ASSERT(soon_order[i] == i,
                      "callback %d ran in place %d: the ready queue must be FIFO (append at "
                      "the tail, run from the head)",
                      soon_order[i], i))
            break;

    /* A callback scheduled during a turn waits for the next one: S schedules S2, and timer T,
     * due already, runs in between. A loop that empties the ready queue first runs S, S2, T. */
    H_ASSERT_RC_FATAL(ev_call_at(loop, &t, h_now_ns() - H_NS_PER_MS, note_t, NULL), 0);
    H_ASSERT_RC_FATAL(ev_call_soon(loop, note_s, NULL), 0);
    H_ASSERT_RC(run_loop(loop, 2000, "ev_call_soon and a timer due", NULL), 0);
    H_ASSERT(order_len == 3 && order[2] == '2' && strchr(order, 'T') != NULL,
             "callbacks ran in the order \"%s\", want S and T (either order) and then 2: a "
             "callback scheduled from a callback (2, by S) must wait for the next turn, after "
             "the timers due in this one (T)",
             order);

    /* No starvation: a callback that keeps rescheduling itself must not keep a timer and a
     * readable pipe waiting. */
    H_ASSERT_RC_FATAL(pipe2(fds, O_NONBLOCK | O_CLOEXEC), 0);
    H_ASSERT_EQ_FATAL(write(fds[1], "x", 1), 1);
    H_ASSERT_RC_FATAL(ev_add_reader(loop, fds[0], fair_reader, NULL), 0);
    H_ASSERT_RC_FATAL(ev_call_later(loop, &t, 20, fair_timer, NULL), 0);
    H_ASSERT_RC_FATAL(ev_call_soon(loop, spinner, NULL), 0);
    rc = run_loop(loop, 5000, "a callback rescheduling itself", NULL);
    H_ASSERT_RC(rc, 0);
    H_ASSERT(!spinner_gave_up && timer_fired && reader_ran,
             "a callback that reschedules itself ran %ld times while a 20 ms timer %s and a "
             "readable pipe %s: each turn must run only the callbacks that were ready when it "
             "began, then the timers due, then poll for I/O",
             spins, timer_fired ? "fired" : "never fired", reader_ran ? "was read" : "waited");
    if (rc == 0 && !timer_fired)
        ev_timer_cancel(loop, &t);
    ev_loop_destroy(loop);
    close(fds[0]);
    close(fds[1]);
}

/* ---- ev_run returns when nothing is pending, or after ev_stop ---- */

static int chain_steps, nested_rc = 1, stop_fired, late_fired;
static struct ev_timer chain_timer;

static void chain_cb(struct ev_loop *loop, void *arg)
{
    (void)arg;
    chain_steps++;
    if (chain_steps == 1)
        nested_rc = ev_run(loop); /* the loop runs already: -EBUSY */
    if (chain_steps < 4 && ev_call_later(loop, &chain_timer, 5, chain_cb, NULL) != 0)
        chain_steps = -100;
}

static void stop_cb(struct ev_loop *loop, void *arg)
{
    (void)arg;
    stop_fired++;
    if (ev_stop(loop) != 0)
        stop_fired = -100;
}

static void late_cb(struct ev_loop *loop, void *arg)
{
    (void)loop;
    (void)arg;
    late_fired++;
}

static void ev_run_returns_when_idle_or_stopped(void)
{
    struct ev_loop *loop = new_loop();
    struct ev_timer stop = { 0 }, late = { 0 };
    int threads = h_count_threads();

    /* Nothing pending: ev_run returns at once. */
    H_ASSERT_RC(run_loop(loop, 1000, "ev_run on an empty loop", NULL), 0);

    /* A chain of timers, each arming the next from its callback: ev_run returns after the
     * last, with nothing pending, by itself. */
    H_ASSERT_RC_FATAL(ev_call_later(loop, &chain_timer, 5, chain_cb, NULL), 0);
    H_ASSERT_RC(run_loop(loop, 2000, "a chain of four 5 ms timers", NULL), 0);
    H_ASSERT_EQ(chain_steps, 4);
    H_ASSERT_RC(nested_rc, -EBUSY);

    /* ev_stop from a callback: ev_run returns after that turn, and the timer still armed stays
     * armed for the next ev_run. */
    H_ASSERT_RC_FATAL(ev_call_later(loop, &stop, 10, stop_cb, NULL), 0);
    H_ASSERT_RC_FATAL(ev_call_later(loop, &late, 300, late_cb, NULL), 0);
    H_ASSERT_RC(run_loop(loop, 2000, "a timer that calls ev_stop", NULL), 0);
    H_ASSERT_EQ(stop_fired, 1);
    H_ASSERT(late_fired == 0, "ev_run went on after ev_stop until a 300 ms timer had fired: "
                              "it must return at the end of the turn that called ev_stop");
    H_ASSERT_RC(run_loop(loop, 2000, "the second ev_run, with a 300 ms timer left", NULL), 0);
    H_ASSERT(late_fired == 1,
             "the timer left armed by ev_stop fired %d times in the next "
             "ev_run, want 1: stopping must not drop what is scheduled",
             late_fired);
    ev_loop_destroy(loop);
    check_threads_back(threads);
}

/* ---- bad arguments: clear errors, and the callback never runs ---- */

static int never_ran;

static void never_cb(struct ev_loop *loop, void *arg)
{
    (void)loop;
    (void)arg;
    never_ran++;
}

static void never_io(struct ev_loop *loop, int fd, void *arg)
{
    (void)loop;
    (void)fd;
    (void)arg;
    never_ran++;
}

static void ev_rejects_bad_arguments(void)
{
    struct ev_loop *loop = new_loop();
    struct ev_timer t = { 0 }, idle = { 0 };
    int fds[2], file, closed;

    H_ASSERT_RC(ev_loop_create(NULL), -EINVAL);
    H_ASSERT_RC(ev_call_soon(NULL, never_cb, NULL), -EINVAL);
    H_ASSERT_RC(ev_call_soon(loop, NULL, NULL), -EINVAL);
    H_ASSERT_RC(ev_call_later(NULL, &t, 1, never_cb, NULL), -EINVAL);
    H_ASSERT_RC(ev_call_later(loop, NULL, 1, never_cb, NULL), -EINVAL);
    H_ASSERT_RC(ev_call_later(loop, &t, -1, never_cb, NULL), -EINVAL);
    H_ASSERT_RC(ev_call_later(loop, &t, 1, NULL, NULL), -EINVAL);
    H_ASSERT_RC(ev_call_at(loop, &t, -1, never_cb, NULL), -EINVAL);
    H_ASSERT_RC(ev_call_later(loop, &t, 10000, never_cb, NULL), 0);
    H_ASSERT_RC(ev_call_later(loop, &t, 1, never_cb, NULL), -EBUSY); /* armed already */
    H_ASSERT_RC(ev_timer_cancel(loop, &idle), -ENOENT);
    H_ASSERT_RC(ev_timer_cancel(NULL, &t), -EINVAL);
    H_ASSERT_RC(ev_timer_cancel(loop, NULL), -EINVAL);
    H_ASSERT_RC(ev_timer_cancel(loop, &t), 0);
    H_ASSERT_RC(ev_timer_cancel(loop, &t), -ENOENT); /* cancelled already */

    H_ASSERT_RC_FATAL(pipe2(fds, O_NONBLOCK | O_CLOEXEC), 0);
    H_ASSERT_EQ_FATAL(write(fds[1], "x", 1), 1);
    H_ASSERT_RC(ev_add_reader(NULL, fds[0], never_io, NULL), -EINVAL);
    H_ASSERT_RC(ev_add_reader(loop, -1, never_io, NULL), -EINVAL);
    H_ASSERT_RC(ev_add_reader(loop, fds[0], NULL, NULL), -EINVAL);
    H_ASSERT_RC(ev_remove_reader(loop, fds[0]), -ENOENT); /* never added */
    H_ASSERT_RC(ev_remove_reader(loop, -1), -EINVAL);
    H_ASSERT_RC(ev_remove_writer(loop, fds[1]), -ENOENT);
    closed = dup(fds[0]);
    H_ASSERT_FATAL(closed >= 0, "dup failed");
    close(closed);
    H_ASSERT_RC(ev_add_reader(loop, closed, never_io, NULL), -EBADF);
    file = open("/proc/self/status", O_RDONLY | O_CLOEXEC); /* epoll refuses regular files */
    H_ASSERT_FATAL(file >= 0, "cannot open /proc/self/status");
    H_ASSERT_RC(ev_add_reader(loop, file, never_io, NULL), -EPERM);
    close(file);
    H_ASSERT_RC(ev_add_reader(loop, fds[0], never_io, NULL), 0);
    H_ASSERT_RC(ev_add_reader(loop, fds[0], never_io, NULL), -EEXIST);
    H_ASSERT_RC(ev_remove_reader(loop, fds[0]), 0);
    H_ASSERT_RC(ev_remove_reader(loop, fds[0]), -ENOENT);

    H_ASSERT_RC(ev_run(NULL), -EINVAL);
    H_ASSERT_RC(ev_stop(NULL), -EINVAL);
    H_ASSERT_RC(ev_call_soon_threadsafe(NULL, never_cb, NULL), -EINVAL);
    H_ASSERT_RC(ev_call_soon_threadsafe(loop, NULL, NULL), -EINVAL);
    ev_loop_destroy(NULL);

    /* Nothing above may have left a callback behind: the loop is idle, and nothing runs. */
    H_ASSERT_RC(run_loop(loop, 1000, "a loop given only bad calls", NULL), 0);
    H_ASSERT(never_ran == 0,
             "%d callbacks ran that were never scheduled successfully: a "
             "call that fails must leave nothing behind",
             never_ran);
    ev_loop_destroy(loop);
    close(fds[0]);
    close(fds[1]);
}

static int setup(void)
{
    return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -EIO;
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
            { H_TEST(ev_timers_fire_in_deadline_order, 1), .timeout_ms = 8000 },
            { H_TEST(ev_cancelled_timers_never_fire, 1), .timeout_ms = 4000 },
            { H_TEST(ev_call_soon_is_fifo_and_fair, 1), .timeout_ms = 8000 },
            { H_TEST(ev_run_returns_when_idle_or_stopped, 1), .timeout_ms = 8000 },
            { H_TEST(ev_readers_follow_the_fd, 1), .timeout_ms = 4000 },
            { H_TEST(ev_sleeps_while_waiting, 1), .timeout_ms = 4000 },
            { H_TEST(ev_threadsafe_call_wakes_the_loop, 1), .timeout_ms = 8000 },
            { H_TEST(ev_timer_heap_scales, 1), .timeout_ms = 20000 },
            { H_TEST(ev_rejects_bad_arguments, 1), .timeout_ms = 4000 },
            { H_TEST(ev_fetch_concurrent_on_one_thread, 1), .timeout_ms = 15000 },
            { H_TEST(ev_fetch_errors_and_cleanup, 1), .timeout_ms = 10000 },
            { 0 },
        },
};
