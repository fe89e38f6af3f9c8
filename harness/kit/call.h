/* call.h: a function run on a thread of its own, awaited with a deadline.
 *
 * A test that calls code which may block forever (a wait nobody wakes, a pool that never
 * returns) runs it as a call: the test's thread starts it, waits for it with a deadline, and
 * fails with a message saying what did not return, instead of hanging until the watchdog ends
 * the whole test with no word of why. It can also check that the call's thread is asleep, not
 * spinning, while the call should block.
 *
 * Embed struct h_call first in a struct of your own that holds the call's arguments and
 * results; fn gets the struct h_call and casts it back:
 *
 *     struct waiter {
 *         struct h_call call; (first: a waiter is a call)
 *         struct csem *sem;
 *         int rc;
 *     };
 *
 *     static void waiter_fn(struct h_call *c)
 *     {
 *         struct waiter *w = (struct waiter *)c;
 *
 *         w->rc = csem_wait(w->sem);
 *     }
 *
 *     H_ASSERT_RC_FATAL(h_call_start(&w.call, waiter_fn), 0);
 *     H_ASSERT(h_call_wait(&w.call, 1000), "csem_wait had not returned after 1 s");
 *     h_call_join(&w.call);
 *
 * Threads: fn runs on the call's own thread, so it must not assert (CUnit is not thread-safe):
 * it records what it saw in its struct, and the test checks that once the call has returned.
 * h_call_start, _wait, _asleep and _join are for the test's thread (one thread per call; the
 * call's own thread must not use them on itself). Memory: the caller owns the struct; it must
 * stay valid until h_call_join. A call that never returns keeps its struct forever, so a test
 * that gives up on one fails at once and leaves it alone (or keeps the struct static).
 */
#ifndef H_CALL_H
#define H_CALL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct h_call;

/* The function a call runs, on the call's thread; c is the struct h_call it was started with. */
typedef void h_call_fn(struct h_call *c);

struct h_call {
    h_call_fn *fn; /* set by h_call_start */
    pthread_t thread;
    pthread_mutex_t lock;   /* guards tid, done and returned_ns while the thread runs */
    pthread_cond_t changed; /* broadcast when tid or done changes; on CLOCK_MONOTONIC */
    int tid;                /* the thread's id (gettid), once it runs; 0 before */
    bool done;              /* fn has returned */
    int64_t returned_ns;    /* when fn returned (h_now_ns); read it after h_call_join */
};

/* Starts fn on a new thread; fn gets c. Does not block. Returns 0, or a negative errno if the
 * thread (or its lock) could not be made: the call then never runs and needs no h_call_join. */
int h_call_start(struct h_call *c, h_call_fn *fn);

/* Waits up to ms milliseconds (0: only looks) for the call to return. Returns true if it has.
 * Blocks for at most ms. */
bool h_call_wait(struct h_call *c, int64_t ms);

/* Joins the call's thread and frees what h_call_start made. Blocks until fn returns, so call it
 * once h_call_wait said it has; a call that never returns is never joined (see above). The
 * errors pthread_join reports are all misuse (joining twice, or a call never started), so
 * there is nothing to return. */
void h_call_join(struct h_call *c);

/* Waits up to ms milliseconds until the call's thread sleeps (state 'S', seen twice in a row,
 * 1 ms apart) without having returned: it is then blocked in the call, not busy. Returns true
 * if so; false if the call returned, or its thread was still running after ms. Blocks up to ms.
 * Each look reads /proc, so this costs tens of microseconds a millisecond. */
bool h_call_asleep(struct h_call *c, int64_t ms);

/* The scheduler state of thread tid of this process, from /proc/self/task/<tid>/stat: 'R'
 * running or runnable, 'S' asleep (waiting on a lock, a condition, a timer, I/O), 'D' in an
 * uninterruptible wait...; '?' if the thread does not exist (any more). Never blocks. */
char h_thread_state(int tid);

#endif
