/* Wrong: epoll waits at most 1 ms, so the loop wakes 1,000 times a second. Caught by
 * ev_sleeps_while_waiting. */
#define _GNU_SOURCE /* epoll_pwait2 */
#include "evloop.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "ev_heap.h"

#define MAX_EVENTS 256        /* fds reported by one epoll wait; more wait for the next turn */
#define RING_MIN   64         /* the ready queue's first size; it doubles when full */
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

static int64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int ev_loop_create(struct ev_loop **out)
{
    struct epoll_event wake = { .events = EPOLLIN, .data.u64 = WAKE_KEY };
    struct ev_loop *loop;
    int rc;

    if (!out)
        return -EINVAL;
    if (!(loop = calloc(1, sizeof(*loop))))
        return -ENOMEM;
    loop->epfd = loop->wakefd = -1;
    loop->remote_tail = &loop->remote_head;
    if ((rc = pthread_mutex_init(&loop->lock, NULL)) != 0) {
        free(loop);
        return -rc;
    }
    if ((loop->epfd = epoll_create1(EPOLL_CLOEXEC)) < 0 ||
        (loop->wakefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0 ||
        epoll_ctl(loop->epfd, EPOLL_CTL_ADD, loop->wakefd, &wake) != 0) {
        rc = -errno;
        ev_loop_destroy(loop);
        return rc;
    }
    *out = loop;
    return 0;
}

void ev_loop_destroy(struct ev_loop *loop)
{
    if (!loop)
        return;
    for (struct remote *r = loop->remote_head, *next; r; r = next) {
        next = r->next;
        free(r);
    }
    ev_heap_clear(&loop->timers);
    free(loop->ring);
    free(loop->watches);
    if (loop->wakefd >= 0)
        close(loop->wakefd);
    if (loop->epfd >= 0)
        close(loop->epfd);
    pthread_mutex_destroy(&loop->lock);
    free(loop);
}

/* ---- the ready queue ---- */

int ev_call_soon(struct ev_loop *loop, ev_callback *fn, void *arg)
{
    if (!loop || !fn)
        return -EINVAL;
    if (loop->len == loop->cap) {
        size_t cap = loop->cap ? 2 * loop->cap : RING_MIN;
        struct ready *ring = malloc(cap * sizeof(*ring));

        if (!ring)
            return -ENOMEM;
        for (size_t i = 0; i < loop->len; i++)
            ring[i] = loop->ring[(loop->head + i) & (loop->cap - 1)];
        free(loop->ring);
        loop->ring = ring;
        loop->cap = cap;
        loop->head = 0;
    }
    loop->ring[(loop->head + loop->len) & (loop->cap - 1)] = (struct ready){ fn, arg };
    loop->len++;
    return 0;
}

/* Runs the n oldest ready callbacks: those queued before the turn began. */
static void run_ready(struct ev_loop *loop, size_t n)
{
    while (n-- > 0) {
        struct ready r = loop->ring[loop->head]; /* a copy: the callback may grow the ring */

        loop->head = (loop->head + 1) & (loop->cap - 1);
        loop->len--;
        r.fn(loop, r.arg);
    }
}

/* ---- timers (the heap itself is in ev_heap.c) ---- */

int ev_call_at(struct ev_loop *loop, struct ev_timer *t, int64_t deadline_ns, ev_callback *fn,
               void *arg)
{
    int rc;

    if (!loop || !t || !fn || deadline_ns < 0)
        return -EINVAL;
    if (t->slot != 0)
        return -EBUSY;
    *t = (struct ev_timer){
        .deadline_ns = deadline_ns, .seq = loop->next_seq, .fn = fn, .arg = arg
    };
    if ((rc = ev_heap_push(&loop->timers, t)) != 0)
        return rc;
    loop->next_seq++;
    return 0;
}

int ev_call_later(struct ev_loop *loop, struct ev_timer *t, int64_t delay_ms, ev_callback *fn,
                  void *arg)
{
    int64_t now = now_ns();

    if (delay_ms < 0 || delay_ms > (INT64_MAX - now) / 1000000)
        return -EINVAL; /* negative, or a deadline past the end of the clock */
    return ev_call_at(loop, t, now + delay_ms * 1000000, fn, arg);
}

int ev_timer_cancel(struct ev_loop *loop, struct ev_timer *t)
{
    if (!loop || !t)
        return -EINVAL;
    if (t->slot == 0)
        return -ENOENT;
    ev_heap_remove(&loop->timers, t);
    return 0;
}

/* Runs the timers that are due now and were armed before the turn began (seq < seq_limit). */
static void run_timers(struct ev_loop *loop, uint64_t seq_limit)
{
    int64_t now = now_ns();
    struct ev_timer *t;

    while ((t = ev_heap_first(&loop->timers)) && t->deadline_ns <= now && t->seq < seq_limit) {
        ev_callback *fn = t->fn;
        void *arg = t->arg;

        ev_heap_remove(&loop->timers, t); /* idle before its callback: it may re-arm t */
        fn(loop, arg);
    }
}

/* ---- calls from other threads ---- */

int ev_call_soon_threadsafe(struct ev_loop *loop, ev_callback *fn, void *arg)
{
    const uint64_t one = 1;
    struct remote *r;

    if (!loop || !fn)
        return -EINVAL;
    if (!(r = malloc(sizeof(*r))))
        return -ENOMEM;
    *r = (struct remote){ .fn = fn, .arg = arg };
    pthread_mutex_lock(&loop->lock);
    *loop->remote_tail = r;
    loop->remote_tail = &r->next;
    pthread_mutex_unlock(&loop->lock);
    /* After the append, never before: see the top of this file. EAGAIN means the counter is
     * full, so the loop is woken already. */
    if (write(loop->wakefd, &one, sizeof(one)) < 0 && errno != EAGAIN)
        return -errno; /* the call stays queued: it runs on the loop's next wake-up */
    return 0;
}

/* The eventfd is readable: clear it, then move every queued call to the ready queue. */
static int take_remote(struct ev_loop *loop)
{
    struct remote *r, *next;
    uint64_t count;
    int rc = 0;

    if (read(loop->wakefd, &count, sizeof(count)) < 0 && errno != EAGAIN)
        return -errno;
    pthread_mutex_lock(&loop->lock);
    r = loop->remote_head;
    loop->remote_head = NULL;
    loop->remote_tail = &loop->remote_head;
    pthread_mutex_unlock(&loop->lock);
    for (; r; r = next) {
        next = r->next;
        if (rc == 0)
            rc = ev_call_soon(loop, r->fn, r->arg); /* on -ENOMEM the rest are dropped */
        free(r);
    }
    return rc;
}

static bool remote_pending(struct ev_loop *loop)
{
    bool pending;

    pthread_mutex_lock(&loop->lock);
    pending = loop->remote_head != NULL;
    pthread_mutex_unlock(&loop->lock);
    return pending;
}

/* ---- watched fds ----
 * Each fd has at most a reader and a writer; the epoll set holds the fd while it has either,
 * with the events of those it has (level-triggered: a reader that leaves data unread is called
 * again next turn). An event carries the fd and a generation number that changes whenever the
 * fd leaves the set, and its callback is looked up again just before it runs: an earlier
 * callback of the same turn may have removed it, or removed the fd and added it again (the same
 * number, perhaps a new file by now), and the event belongs to the registration before.
 */

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
static void dispatch(struct ev_loop *loop, uint64_t key, uint32_t events)
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

/* ---- running ---- */

static bool pending(struct ev_loop *loop)
{
    return loop->len > 0 || loop->timers.len > 0 || loop->n_fds > 0 || remote_pending(loop);
}

/* One epoll wait of at most wait_ns (-1: no limit). Returns what epoll said. */
static int wait_events(struct ev_loop *loop, int64_t wait_ns)
{
    if (!loop->no_pwait2) {
        struct timespec ts = { wait_ns / 1000000000, wait_ns % 1000000000 };
        int n = epoll_pwait2(loop->epfd, loop->events, MAX_EVENTS, wait_ns < 0 ? NULL : &ts, NULL);

        if (n >= 0 || errno != ENOSYS)
            return n;
        loop->no_pwait2 = true;
    }
    /* Whole milliseconds, rounded up: never wake before the deadline. */
    return epoll_wait(loop->epfd, loop->events, MAX_EVENTS,
                      wait_ns < 0 ? -1 : (int)((wait_ns + 999999) / 1000000));
}

/* Waits for I/O until the next timer is due (not at all if callbacks are ready or the loop is
 * stopping), and runs what became ready. */
static int poll_io(struct ev_loop *loop)
{
    struct ev_timer *next = ev_heap_first(&loop->timers);
    int64_t wait_ns = -1, now = now_ns();
    int n, rc = 0;

    if (loop->len > 0 || loop->stopping)
        wait_ns = 0;
    else if (next)
        wait_ns = next->deadline_ns > now ? next->deadline_ns - now : 0;
    if (wait_ns < 0 || wait_ns > 1000000)
        wait_ns = 1000000; /* the mistake: wake up every millisecond to look */
    if ((n = wait_events(loop, wait_ns)) < 0)
        return errno == EINTR ? 0 : -errno;
    for (int i = 0; i < n && rc == 0; i++) {
        if (loop->events[i].data.u64 == WAKE_KEY)
            rc = take_remote(loop);
        else
            dispatch(loop, loop->events[i].data.u64, loop->events[i].events);
    }
    return rc;
}

int ev_run(struct ev_loop *loop)
{
    int rc = 0;

    if (!loop)
        return -EINVAL;
    if (loop->running)
        return -EBUSY;
    loop->running = true;
    while (rc == 0 && pending(loop)) {
        uint64_t seq_limit = loop->next_seq; /* timers armed from here on wait for next turn */

        run_ready(loop, loop->len);
        run_timers(loop, seq_limit);
        if (pending(loop))
            rc = poll_io(loop);
        if (loop->stopping)
            break;
    }
    loop->running = false;
    loop->stopping = false;
    return rc;
}

bool ev_is_running(const struct ev_loop *loop)
{
    return loop && loop->running;
}

int ev_stop(struct ev_loop *loop)
{
    if (!loop)
        return -EINVAL;
    loop->stopping = true;
    return 0;
}
