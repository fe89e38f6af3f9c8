/* evloop.h: an event loop on one thread: a ready queue, a timer heap, epoll, a wake-up fd.
 *
 * Python:                                        C (this lesson):
 *     loop = asyncio.new_event_loop()                ev_loop_create(&loop);
 *     loop.call_soon(cb, arg)                        ev_call_soon(loop, cb, arg);
 *     h = loop.call_later(0.1, cb, arg)              ev_call_later(loop, &t, 100, cb, arg);
 *     h.cancel()                                     ev_timer_cancel(loop, &t);
 *     loop.add_reader(fd, cb, arg)                   ev_add_reader(loop, fd, on_read, arg);
 *     loop.remove_reader(fd)                         ev_remove_reader(loop, fd);
 *     loop.call_soon_threadsafe(cb, arg)             ev_call_soon_threadsafe(loop, cb, arg);
 *     loop.run_forever()  /  loop.stop()             ev_run(loop);  /  ev_stop(loop);
 *     loop.close()                                   ev_loop_destroy(loop);
 *
 * One turn of ev_run, as in asyncio's _run_once:
 *
 *     ┌─► 1. run the callbacks that were ready when the turn began (FIFO; those they add wait)
 *     │   2. run the timers whose deadline has passed, earliest first (ties: first scheduled)
 *     │   3. wait in epoll for I/O: no wait if callbacks are ready, else until the next
 *     │      timer's deadline, else forever; then run the callbacks of the fds that are ready
 *     └── until ev_stop was called, or nothing is left: no callback, timer or watched fd.
 *
 * Threads: one thread runs the loop (calls ev_run), and every callback runs on it. All
 * functions here are for that thread only (before, during and after ev_run; callbacks are on
 * it), except ev_call_soon_threadsafe, which any thread may call while the loop exists.
 * Callbacks may call every function here but ev_run and ev_loop_destroy: schedule more
 * callbacks, arm and cancel timers (their own included), add and remove fds, stop the loop.
 *
 * Errors: 0 or a negative errno. If a call fails, its callback never runs.
 *
 * This file is read-only: the tests are written against it.
 */
#ifndef EVLOOP_H
#define EVLOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ev_loop; /* opaque: made by ev_loop_create, freed by ev_loop_destroy */

/* A callback scheduled with ev_call_soon, ev_call_later or ev_call_soon_threadsafe; runs on the
 * loop's thread, once, with the arg it was scheduled with. */
typedef void ev_callback(struct ev_loop *loop, void *arg);

/* A callback for a watched fd: runs on the loop's thread each turn the fd is ready (readable
 * for a reader, writable for a writer; an error or hang-up on the fd counts as both), until it
 * is removed. It should read (or write) what it can without blocking: a reader that leaves
 * data unread is called again next turn. */
typedef void ev_io_callback(struct ev_loop *loop, int fd, void *arg);

/* A timer: what ev_call_later and ev_call_at arm, and what ev_timer_cancel cancels (asyncio's
 * TimerHandle). The caller owns the memory: the loop only keeps a pointer to it while it is
 * armed, so 100,000 timers cost the loop no allocation each. Start it zeroed
 * (struct ev_timer t = { 0 }, static, or calloc): a zeroed timer is idle. A timer is armed from
 * ev_call_later until its callback starts or it is cancelled, then idle again and free to be
 * re-armed (from its own callback too) or freed. It must stay valid while armed.
 * The fields belong to the loop: read or write none of them. */
struct ev_timer {
    int64_t deadline_ns; /* when it is due, on CLOCK_MONOTONIC */
    uint64_t seq;        /* the order it was armed in: breaks ties between equal deadlines */
    ev_callback *fn;
    void *arg;
    size_t slot; /* its place in the loop's heap plus 1; 0 while idle */
};

/* Makes a loop (its epoll fd and its wake-up fd). Returns 0 and *out, or -EINVAL (out NULL),
 * -ENOMEM, or the error of epoll_create1/eventfd (-EMFILE...). The calling thread owns it. */
int ev_loop_create(struct ev_loop **out);

/* Frees the loop and closes its fds. Callbacks still scheduled never run; armed timers become
 * idle (their memory is the caller's again); watched fds are not closed (they are the
 * caller's). NULL does nothing. Not while ev_run runs, and not while another thread may still
 * call ev_call_soon_threadsafe on it. */
void ev_loop_destroy(struct ev_loop *loop);

/* Runs fn(loop, arg) on the loop's thread in a later turn, after every callback scheduled
 * before it (FIFO). Scheduled from a callback, it runs in the next turn, never in this one:
 * a callback that keeps rescheduling itself cannot starve timers and I/O. Never blocks.
 * Returns 0, -EINVAL (loop or fn NULL) or -ENOMEM. */
int ev_call_soon(struct ev_loop *loop, ev_callback *fn, void *arg);

/* Arms t to run fn(loop, arg) once, delay_ms milliseconds from now: never earlier, and as soon
 * after as the loop's thread is free. The deadline is absolute on CLOCK_MONOTONIC, computed
 * now. Timers due at the same moment run in the order they were armed. O(log n) for n armed
 * timers. A timer armed from a callback never runs in the turn that armed it.
 * Returns 0; -EINVAL (loop, t or fn NULL, delay_ms negative); -EBUSY (t is armed already);
 * -ENOMEM. */
int ev_call_later(struct ev_loop *loop, struct ev_timer *t, int64_t delay_ms, ev_callback *fn,
                  void *arg);

/* The same with an absolute deadline in nanoseconds on CLOCK_MONOTONIC (what
 * clock_gettime(CLOCK_MONOTONIC) gives, as seconds * 1e9 + nanoseconds). A deadline already
 * past runs in the next turn's timers. Returns as ev_call_later (-EINVAL: loop, t or fn NULL,
 * or deadline_ns negative). */
int ev_call_at(struct ev_loop *loop, struct ev_timer *t, int64_t deadline_ns, ev_callback *fn,
               void *arg);

/* Cancels t: its callback will not run, not even if it is due in the turn that is running now
 * (cancelled by a callback that ran before it). O(log n). t is idle afterwards.
 * Returns 0 if t was armed; -ENOENT if it was idle (it ran already, was cancelled, or was never
 * armed; a callback cancelling its own timer gets this: it is running); -EINVAL if loop or t is
 * NULL. */
int ev_timer_cancel(struct ev_loop *loop, struct ev_timer *t);

/* Watches fd: fn(loop, fd, arg) runs in each turn in which fd is readable, until
 * ev_remove_reader. The fd stays the caller's (the loop never reads it or closes it); it should
 * be non-blocking, so that a callback cannot block the loop. Returns 0; -EINVAL (loop or fn
 * NULL, fd negative); -EEXIST (fd has a reader already); -ENOMEM; or what epoll_ctl says: -EBADF
 * (fd is not open), -EPERM (fd cannot be polled: a regular file). */
int ev_add_reader(struct ev_loop *loop, int fd, ev_io_callback *fn, void *arg);

/* Stops watching fd for reading. From then on its reader never runs, not even for readiness
 * already seen in the turn running now. Close the fd only after removing it. Returns 0;
 * -EINVAL (loop NULL, fd negative); -ENOENT (fd has no reader). */
int ev_remove_reader(struct ev_loop *loop, int fd);

/* The same for writability (asyncio's add_writer / remove_writer). An fd may have a reader and
 * a writer at once. */
int ev_add_writer(struct ev_loop *loop, int fd, ev_io_callback *fn, void *arg);
int ev_remove_writer(struct ev_loop *loop, int fd);

/* Runs the loop on the calling thread, turn after turn (above), asleep in epoll whenever there
 * is nothing to do: no busy loop, no polling with a short timeout. Returns when ev_stop was
 * called (after the turn in which it was; what is still scheduled stays scheduled for the next
 * ev_run), or at once when nothing is pending: no callback scheduled, no timer armed, no fd
 * watched. (A call from another thread does not count as pending until it is made: a loop that
 * waits only for one must keep something armed, such as a far timer.)
 * Returns 0; -EINVAL (loop NULL); -EBUSY (called from a callback: the loop runs already); or the
 * error of epoll_wait. */
int ev_run(struct ev_loop *loop);

/* True while ev_run runs loop (asyncio's is_running), that is: when called from one of its
 * callbacks. False for NULL. Loop thread only. */
bool ev_is_running(const struct ev_loop *loop);

/* Makes ev_run return at the end of the turn that is running. Called while the loop is not
 * running, it makes the next ev_run return after one turn. Returns 0, or -EINVAL (loop NULL).
 * Loop thread only: from another thread, ev_call_soon_threadsafe a callback that calls it. */
int ev_stop(struct ev_loop *loop);

/* ev_call_soon from any thread: queues fn(loop, arg) for the loop's thread, and wakes the loop
 * if it is asleep in epoll, at once (within the time a thread takes to wake up), however far
 * its next timer is; a call that lands just as the loop goes to sleep is never lost. Order is
 * FIFO among the calls of one thread. Never blocks for long (a mutex held briefly).
 * Returns 0, -EINVAL (loop or fn NULL) or -ENOMEM. */
int ev_call_soon_threadsafe(struct ev_loop *loop, ev_callback *fn, void *arg);

#endif
