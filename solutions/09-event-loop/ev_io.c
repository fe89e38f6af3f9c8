/* ev_io.c: the fds a loop watches: a table by fd number, mirrored in the epoll set.
 *
 * Each fd has at most a reader and a writer; the epoll set holds the fd while it has either,
 * with the events of those it has (level-triggered: a reader that leaves data unread is called
 * again next turn). An event carries the fd and a generation number that changes whenever the
 * fd leaves the set, and its callback is looked up again just before it runs: an earlier
 * callback of the same turn may have removed it, or removed the fd and added it again (the same
 * number, perhaps a new file by now), and the event belongs to the registration before.
 *
 * Cost: one epoll_ctl per add or remove, O(1) lookups; the table grows by doubling to the
 * highest fd watched (40 bytes an fd). The alternative rejected: epoll data pointing at a
 * malloc'd watch per fd, which saves the table but turns a stale event into a use after free.
 */
#include <errno.h>
#include <stdlib.h>

#include "ev_loop_impl.h"

static uint32_t events_of(const struct watch *w)
{
    return (w->read_fn ? EPOLLIN : 0) | (w->write_fn ? EPOLLOUT : 0);
}

static int watch_fd(struct ev_loop *loop, int fd, bool write, ev_io_callback *fn, void *arg)
{
    struct epoll_event e;
    struct watch *w, old;

    if (!loop || fd < 0 || !fn)
        return -EINVAL;
    if ((size_t)fd >= loop->n_slots) {
        size_t n = loop->n_slots ? loop->n_slots : 64;
        struct watch *grown;

        while (n <= (size_t)fd)
            n *= 2;
        if (!(grown = realloc(loop->watches, n * sizeof(*grown))))
            return -ENOMEM;
        for (size_t i = loop->n_slots; i < n; i++)
            grown[i] = (struct watch){ 0 };
        loop->watches = grown;
        loop->n_slots = n;
    }
    w = &loop->watches[fd];
    old = *w;
    if (write ? w->write_fn : w->read_fn)
        return -EEXIST;
    if (write) {
        w->write_fn = fn;
        w->write_arg = arg;
    } else {
        w->read_fn = fn;
        w->read_arg = arg;
    }
    e = (struct epoll_event){ .events = events_of(w),
                              .data.u64 = (uint64_t)w->gen << 32 | (uint32_t)fd };
    if (epoll_ctl(loop->epfd, old.read_fn || old.write_fn ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd,
                  &e) != 0) {
        int rc = -errno;

        *w = old;
        return rc;
    }
    if (!old.read_fn && !old.write_fn)
        loop->n_fds++;
    return 0;
}

static int unwatch_fd(struct ev_loop *loop, int fd, bool write)
{
    struct epoll_event e;
    struct watch *w;

    if (!loop || fd < 0)
        return -EINVAL;
    if ((size_t)fd >= loop->n_slots ||
        !(write ? loop->watches[fd].write_fn : loop->watches[fd].read_fn))
        return -ENOENT;
    w = &loop->watches[fd];
    if (write)
        w->write_fn = NULL;
    else
        w->read_fn = NULL;
    /* A failure here means the fd was closed already, which took it out of the epoll set. */
    if (w->read_fn || w->write_fn) {
        e = (struct epoll_event){ .events = events_of(w),
                                  .data.u64 = (uint64_t)w->gen << 32 | (uint32_t)fd };
        (void)epoll_ctl(loop->epfd, EPOLL_CTL_MOD, fd, &e);
    } else {
        (void)epoll_ctl(loop->epfd, EPOLL_CTL_DEL, fd, NULL);
        w->gen++;
        loop->n_fds--;
    }
    return 0;
}

int ev_add_reader(struct ev_loop *loop, int fd, ev_io_callback *fn, void *arg)
{
    return watch_fd(loop, fd, false, fn, arg);
}

int ev_remove_reader(struct ev_loop *loop, int fd)
{
    return unwatch_fd(loop, fd, false);
}

int ev_add_writer(struct ev_loop *loop, int fd, ev_io_callback *fn, void *arg)
{
    return watch_fd(loop, fd, true, fn, arg);
}

int ev_remove_writer(struct ev_loop *loop, int fd)
{
    return unwatch_fd(loop, fd, true);
}

/* Runs the callbacks of one reported event, each looked up again just before it runs: an
 * earlier callback of this turn may have removed it (or the whole fd). */
void ev_io_dispatch(struct ev_loop *loop, uint64_t key, uint32_t events)
{
    int fd = (int)(uint32_t)key;
    uint32_t gen = (uint32_t)(key >> 32);
    struct watch *w;

    if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
        w = &loop->watches[fd];
        if (w->gen == gen && w->read_fn)
            w->read_fn(loop, fd, w->read_arg);
    }
    if (events & (EPOLLOUT | EPOLLHUP | EPOLLERR)) {
        w = &loop->watches[fd]; /* again: the reader may have grown the table */
        if (w->gen == gen && w->write_fn)
            w->write_fn(loop, fd, w->write_arg);
    }
}
