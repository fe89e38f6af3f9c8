/* ppool.c: a process pool: forked workers that take items and send results through pipes.
 *
 * Each worker has two pipes: the parent writes items into one, the worker writes results into
 * the other. The parent keeps up to DEPTH items in flight per worker, so a worker finds its
 * next item already waiting when it finishes one (pipelined), and the parent writes a worker's
 * new items in one write. A worker answers its items in the order it got them, one write per
 * result, so the oldest unanswered item of a worker is the one it is running: if the worker
 * dies, that is the item that failed, and the items behind it never started.
 *
 * A worker's death shows as end-of-file on its result pipe (it held the only write end).
 */
#define _GNU_SOURCE /* pipe2 */
#include "pools.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Items in flight per worker: enough that a worker never waits for the parent, few enough that
 * a short map is shared out evenly. (What one item in flight would cost, stop-and-wait, is in
 * the overhead chart: make plots.) */
#define DEPTH 32

struct item_msg { /* parent to worker */
    long (*fn)(long);
    size_t index;
    long value;
};

struct result_msg { /* worker to parent */
    size_t index;
    long value;
};

/* A worker's pipe never holds more than DEPTH items, and a pipe holds at least PIPE_BUF bytes:
 * so the parent's writes never block, and parent and worker can never both wait for the other
 * to read. */
_Static_assert(DEPTH * sizeof(struct item_msg) <= PIPE_BUF, "DEPTH items must fit in a pipe");

struct worker {
    pid_t pid;          /* 0 when the slot has no live worker (it died and could not be replaced) */
    int to_fd;          /* parent's write end of the item pipe */
    int from_fd;        /* parent's read end of the result pipe */
    size_t sent[DEPTH]; /* items in flight, oldest first: sent[(head + i) % DEPTH], i < count */
    size_t head, count;
    size_t fresh; /* the newest `fresh` of those are not written to the pipe yet */
    size_t got;   /* bytes of a partial result_msg held in buf */
    unsigned char buf[DEPTH * sizeof(struct result_msg)];
};

struct ppool {
    int workers;
    struct pollfd *polls; /* scratch for map: one per worker */
    size_t *retry;        /* scratch for map: items to send again (their worker died) */
    struct worker w[];
};

static int write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;

    while (len > 0) {
        ssize_t r = write(fd, p, len);

        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -errno;
        p += r;
        len -= (size_t)r;
    }
    return 0;
}

/* The worker's life: read items, run them, answer each before starting the next. Never
 * returns: _exit, not exit, so the parent's atexit handlers and stdio buffers stay the
 * parent's. */
static _Noreturn void worker_main(int in_fd, int out_fd)
{
    struct item_msg buf[DEPTH];
    size_t have = 0; /* bytes in buf */

    for (;;) {
        ssize_t r = read(in_fd, (char *)buf + have, sizeof(buf) - have);
        size_t whole;

        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break; /* end-of-file: the pool is being destroyed */
        have += (size_t)r;
        whole = have / sizeof(buf[0]);
        for (size_t i = 0; i < whole; i++) {
            struct result_msg res = { buf[i].index, buf[i].fn(buf[i].value) };

            if (write_all(out_fd, &res, sizeof(res)) != 0)
                _exit(1);
        }
        have -= whole * sizeof(buf[0]);
        memmove(buf, (char *)buf + whole * sizeof(buf[0]), have);
    }
    fflush(stdout); /* what fn printed; the parent flushed its own before the fork */
    fflush(stderr);
    _exit(0);
}

/* Forks the worker for slot k, with fresh pipes. In the child, mask (when not NULL) becomes the
 * signal mask. Returns 0 or a negative errno (then the slot stays empty). */
static int spawn(struct ppool *p, int k, const sigset_t *mask)
{
    struct worker *w = &p->w[k];
    int items[2], results[2], rc;
    pid_t pid;

    if (pipe2(items, O_CLOEXEC) != 0)
        return -errno;
    if (pipe2(results, O_CLOEXEC) != 0) {
        rc = -errno;
        goto close_items;
    }
    fflush(stdout); /* else the child would print the parent's buffered output again */
    fflush(stderr);
    if ((pid = fork()) < 0) {
        rc = -errno;
        goto close_results;
    }
    if (pid == 0) {
        /* The child keeps only its own two ends: the other workers' pipes would keep them
         * from ever seeing end-of-file, and its own parent-side ends would keep it alive. */
        for (int j = 0; j < p->workers; j++) {
            if (j != k && p->w[j].pid > 0) {
                close(p->w[j].to_fd);
                close(p->w[j].from_fd);
            }
        }
        close(items[1]);
        close(results[0]);
        if (mask)
            pthread_sigmask(SIG_SETMASK, mask, NULL);
        worker_main(items[0], results[1]);
    }
    close(items[0]);
    close(results[1]);
    *w = (struct worker){ .pid = pid, .to_fd = items[1], .from_fd = results[0] };
    return 0;
close_results:
    close(results[0]);
    close(results[1]);
close_items:
    close(items[0]);
    close(items[1]);
    return rc;
}

/* Closes slot k's pipes and reaps its worker (which exits once it reads end-of-file). */
static void retire(struct worker *w)
{
    close(w->to_fd);
    while (waitpid(w->pid, NULL, 0) < 0 && errno == EINTR)
        ;
    close(w->from_fd);
    w->pid = 0;
}

int ppool_create(struct ppool **out, int workers)
{
    struct ppool *p;
    int rc = -ENOMEM;

    if (!out || workers < 1)
        return -EINVAL;
    if (!(p = calloc(1, sizeof(*p) + (size_t)workers * sizeof(p->w[0]))))
        return -ENOMEM;
    p->polls = calloc((size_t)workers, sizeof(p->polls[0]));
    p->retry = calloc((size_t)workers * DEPTH, sizeof(p->retry[0]));
    if (!p->polls || !p->retry)
        goto fail;
    for (p->workers = 0; p->workers < workers; p->workers++)
        if ((rc = spawn(p, p->workers, NULL)) != 0)
            goto fail;
    *out = p;
    return 0;
fail:
    ppool_destroy(p);
    return rc;
}

void ppool_destroy(struct ppool *p)
{
    if (!p)
        return;
    /* Close every item pipe first, so all workers exit at once, then reap them in turn. */
    for (int k = 0; k < p->workers; k++)
        if (p->w[k].pid > 0)
            close(p->w[k].to_fd);
    for (int k = 0; k < p->workers; k++) {
        if (p->w[k].pid > 0) {
            while (waitpid(p->w[k].pid, NULL, 0) < 0 && errno == EINTR)
                ;
            close(p->w[k].from_fd);
        }
    }
    free(p->retry);
    free(p->polls);
    free(p);
}

/* ---- map ---- */

struct map {
    long (*fn)(long);
    const long *in;
    long *out;
    int *status;
    size_t n, next; /* items [next, n) have not been sent yet */
    size_t pending; /* items with neither a result nor a failure yet */
    size_t nretry;  /* items in p->retry, sent to a worker that died before starting them */
    int error;      /* why a worker could not be replaced, or 0 */
    size_t lost;    /* items failed with that error: no worker was left to run them */
    int failed;     /* some item's worker died */
    sigset_t caller_mask;
};

/* Takes in the results in slot k's pipe. Returns 1 at end-of-file (the worker died), else 0. */
static int read_results(struct worker *w, struct map *m)
{
    ssize_t r = read(w->from_fd, w->buf + w->got, sizeof(w->buf) - w->got);
    size_t whole;

    if (r < 0 && errno == EINTR)
        return 0;
    if (r <= 0)
        return 1;
    w->got += (size_t)r;
    whole = w->got / sizeof(struct result_msg);
    for (size_t i = 0; i < whole; i++) {
        struct result_msg res;

        memcpy(&res, w->buf + i * sizeof(res), sizeof(res));
        m->out[res.index] = res.value;
        m->status[res.index] = 0;
        w->head = (w->head + 1) % DEPTH; /* answers come in the order the items went */
        w->count--;
        m->pending--;
    }
    w->got -= whole * sizeof(struct result_msg);
    memmove(w->buf, w->buf + whole * sizeof(struct result_msg), w->got);
    return 0;
}

/* Slot k's worker died: take in what it answered, fail the item it was running, send the
 * ones behind it elsewhere, reap it and fork a replacement. */
static void bury(struct ppool *p, int k, struct map *m)
{
    struct worker *w = &p->w[k];
    int rc;

    while (!read_results(w, m))
        ;
    if (w->count > 0) {
        size_t i = w->sent[w->head];

        m->out[i] = 0;
        m->status[i] = -ECHILD;
        m->failed = 1;
        m->pending--;
        for (size_t j = 1; j < w->count; j++)
            p->retry[m->nretry++] = w->sent[(w->head + j) % DEPTH];
    }
    retire(w);
    if ((rc = spawn(p, k, &m->caller_mask)) != 0)
        m->error = rc;
}

/* Tops up every live worker to DEPTH items in flight, one item per worker in turn so that a
 * short map is shared out evenly, then writes each worker's new items in one write. */
static void feed(struct ppool *p, struct map *m)
{
    int more = 1;

    while (more) {
        more = 0;
        for (int k = 0; k < p->workers; k++) {
            struct worker *w = &p->w[k];

            if (w->pid <= 0 || w->count == DEPTH || (m->nretry == 0 && m->next == m->n))
                continue;
            w->sent[(w->head + w->count++) % DEPTH] =
                m->nretry > 0 ? p->retry[--m->nretry] : m->next++;
            w->fresh++;
            more = 1;
        }
    }
    for (int k = 0; k < p->workers; k++) {
        struct worker *w = &p->w[k];
        struct item_msg msg[DEPTH];
        size_t first = w->head + w->count - w->fresh;

        if (w->fresh == 0)
            continue;
        for (size_t j = 0; j < w->fresh; j++) {
            size_t i = w->sent[(first + j) % DEPTH];

            msg[j] = (struct item_msg){ m->fn, i, m->in[i] };
        }
        if (write_all(w->to_fd, msg, w->fresh * sizeof(msg[0])) != 0) {
            /* EPIPE: the worker is gone, and these items never reached it: send them again. */
            for (; w->fresh > 0; w->fresh--)
                p->retry[m->nretry++] = w->sent[(w->head + --w->count) % DEPTH];
            bury(p, k, m);
        }
        w->fresh = 0;
    }
}

/* Waits for results from the workers that have items in flight, and takes them in. */
static void collect(struct ppool *p, struct map *m)
{
    for (int k = 0; k < p->workers; k++) {
        struct worker *w = &p->w[k];

        p->polls[k] =
            (struct pollfd){ .fd = w->pid > 0 && w->count > 0 ? w->from_fd : -1, .events = POLLIN };
    }
    if (poll(p->polls, (nfds_t)p->workers, -1) < 0)
        return; /* EINTR: the caller loops */
    for (int k = 0; k < p->workers; k++)
        if (p->polls[k].revents != 0 && read_results(&p->w[k], m))
            bury(p, k, m);
}

/* Fails every item not sent yet with m->error: no worker is left to run them. */
static void fail_unsent(struct ppool *p, struct map *m)
{
    while (m->nretry > 0 || m->next < m->n) {
        size_t i = m->nretry > 0 ? p->retry[--m->nretry] : m->next++;

        m->out[i] = 0;
        m->status[i] = m->error;
        m->pending--;
        m->lost++;
    }
}

static int live_workers(const struct ppool *p)
{
    int live = 0;

    for (int k = 0; k < p->workers; k++)
        live += p->w[k].pid > 0;
    return live;
}

int ppool_map(struct ppool *p, long (*fn)(long), const long *in, long *out, int *status, size_t n)
{
    struct map m = { .fn = fn, .in = in, .out = out, .status = status, .n = n, .pending = n };
    sigset_t pipe_only, pending;
    int was_pending;

    if (!p || !fn || (n > 0 && (!in || !out || !status)))
        return -EINVAL;
    /* A write to a dead worker's pipe raises SIGPIPE: block it on this thread for the map, so
     * the write fails with EPIPE instead, and discard the one it leaves pending. */
    sigemptyset(&pipe_only);
    sigaddset(&pipe_only, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_only, &m.caller_mask);
    sigpending(&pending);
    was_pending = sigismember(&pending, SIGPIPE);
    for (int k = 0; k < p->workers; k++) { /* slots a failed replacement left empty */
        int rc = p->w[k].pid > 0 ? 0 : spawn(p, k, &m.caller_mask);

        if (rc != 0)
            m.error = rc;
    }
    while (m.pending > 0) {
        feed(p, &m);
        if (live_workers(p) == 0)
            fail_unsent(p, &m);
        else
            collect(p, &m);
    }
    sigpending(&pending);
    if (!was_pending && sigismember(&pending, SIGPIPE)) {
        struct timespec now = { 0, 0 };

        sigtimedwait(&pipe_only, NULL, &now);
    }
    pthread_sigmask(SIG_SETMASK, &m.caller_mask, NULL);
    return m.lost ? m.error : m.failed ? -ECHILD : 0;
}
