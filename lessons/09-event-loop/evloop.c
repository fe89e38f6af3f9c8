/* evloop.c: an event loop on one thread, as evloop.h describes.
 *
 * Your task: a loop struct holding an epoll fd, a ready queue (a FIFO ring of callbacks), a
 * timer heap (a binary min-heap of struct ev_timer pointers keyed by deadline, then by arming
 * order) and an eventfd for calls from other threads; ev_run turns it as evloop.h draws.
 * Grade it with `make check L=09`; stuck? `make hint L=09`.
 */
#include "evloop.h"

#include <errno.h>

int ev_loop_create(struct ev_loop **out)
{
    /* TODO: allocate the loop; epoll_create1, eventfd, and put the eventfd in the epoll set. */
    (void)out;
    return -ENOSYS;
}

void ev_loop_destroy(struct ev_loop *loop)
{
    /* TODO: free what ev_loop_create made, in reverse order; leave armed timers idle. */
    (void)loop;
}

int ev_call_soon(struct ev_loop *loop, ev_callback *fn, void *arg)
{
    /* TODO: append (fn, arg) to the ready queue. */
    (void)loop;
    (void)fn;
    (void)arg;
    return -ENOSYS;
}

int ev_call_later(struct ev_loop *loop, struct ev_timer *t, int64_t delay_ms, ev_callback *fn,
                  void *arg)
{
    /* TODO: an absolute deadline, now + delay, then ev_call_at. */
    (void)loop;
    (void)t;
    (void)delay_ms;
    (void)fn;
    (void)arg;
    return -ENOSYS;
}

int ev_call_at(struct ev_loop *loop, struct ev_timer *t, int64_t deadline_ns, ev_callback *fn,
               void *arg)
{
    /* TODO: fill in t (with the next arming number) and push it on the heap. */
    (void)loop;
    (void)t;
    (void)deadline_ns;
    (void)fn;
    (void)arg;
    return -ENOSYS;
}

int ev_timer_cancel(struct ev_loop *loop, struct ev_timer *t)
{
    /* TODO: take t out of the heap, wherever it is, in O(log n). */
    (void)loop;
    (void)t;
    return -ENOSYS;
}

int ev_add_reader(struct ev_loop *loop, int fd, ev_io_callback *fn, void *arg)
{
    /* TODO: remember (fn, arg) for fd and tell epoll (EPOLL_CTL_ADD or _MOD). */
    (void)loop;
    (void)fd;
    (void)fn;
    (void)arg;
    return -ENOSYS;
}

int ev_remove_reader(struct ev_loop *loop, int fd)
{
    /* TODO: forget fd's reader, so that it never runs again, and tell epoll. */
    (void)loop;
    (void)fd;
    return -ENOSYS;
}

int ev_add_writer(struct ev_loop *loop, int fd, ev_io_callback *fn, void *arg)
{
    /* TODO: as ev_add_reader, for EPOLLOUT. */
    (void)loop;
    (void)fd;
    (void)fn;
    (void)arg;
    return -ENOSYS;
}

int ev_remove_writer(struct ev_loop *loop, int fd)
{
    /* TODO: as ev_remove_reader. */
    (void)loop;
    (void)fd;
    return -ENOSYS;
}

int ev_run(struct ev_loop *loop)
{
    /* TODO: while something is pending and nobody stopped the loop: run the callbacks ready
     * when the turn began, then the due timers, then epoll_wait until the next deadline. */
    (void)loop;
    return -ENOSYS;
}

bool ev_is_running(const struct ev_loop *loop)
{
    /* TODO: is ev_run running this loop now? */
    (void)loop;
    return false;
}

int ev_stop(struct ev_loop *loop)
{
    /* TODO: ask ev_run to return at the end of this turn. */
    (void)loop;
    return -ENOSYS;
}

int ev_call_soon_threadsafe(struct ev_loop *loop, ev_callback *fn, void *arg)
{
    /* TODO: append to a mutex-guarded list, then write the eventfd (in that order). */
    (void)loop;
    (void)fn;
    (void)arg;
    return -ENOSYS;
}
