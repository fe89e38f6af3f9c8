/* ev_loop_impl.h: the loop's struct, shared by evloop.c (queue, timers, threads, running) and
 * ev_io.c (watched fds). Not part of the lesson's contract: only these two files include it.
 */
#ifndef EV_LOOP_IMPL_H
#define EV_LOOP_IMPL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/epoll.h>

#include "ev_heap.h"
#include "evloop.h"

#define MAX_EVENTS 256        /* fds reported by one epoll wait; more wait for the next turn */
#define WAKE_KEY   UINT64_MAX /* epoll data of the eventfd; an fd's is (generation << 32) | fd */

struct ready {
    ev_callback *fn;
    void *arg;
};

/* What is watched on one fd. gen changes whenever the fd leaves the epoll set, so that an event
 * reported for an earlier registration of the same fd number is recognised and dropped. */
struct watch {
    ev_io_callback *read_fn, *write_fn; /* NULL: not watched that way */
    void *read_arg, *write_arg;
    uint32_t gen;
};

/* A call from another thread, waiting for the loop's thread. */
struct remote {
    struct remote *next;
    ev_callback *fn;
    void *arg;
};

struct ev_loop {
    /* Set by ev_loop_create, then read-only: */
    int epfd, wakefd;
    /* The loop's thread only: */
    struct ready *ring; /* ring[(head + i) & (cap - 1)], i < len: the ready queue, oldest first */
    size_t cap, head, len;
    struct ev_heap timers;
    uint64_t next_seq;     /* the arming number the next timer gets */
    struct watch *watches; /* indexed by fd, n_slots long */
    size_t n_slots, n_fds; /* table length; fds watched now */
    bool running, stopping;
    bool no_pwait2; /* the kernel has no epoll_pwait2: use epoll_wait */
    struct epoll_event events[MAX_EVENTS];
    /* Any thread, under lock: */
    pthread_mutex_t lock;
    struct remote *remote_head, **remote_tail;
};

/* Runs the callbacks of one event epoll reported for a watched fd (key is its epoll data). */
void ev_io_dispatch(struct ev_loop *loop, uint64_t key, uint32_t events);

#endif
