/* bqueue.h: a bounded blocking queue for many producers and many consumers, and an HTTP body
 * streamed through it line by line, with backpressure.
 *
 * Python:                                        C (this lesson):
 *     q = asyncio.Queue(maxsize=8)                   bq_init(&q, 8);
 *     await q.put(item)                              bq_put(&q, item);
 *     item = await q.get()                           bq_get(&q, &item);
 *     q.put_nowait(item)  # QueueFull                bq_tryput(&q, item);   (-EAGAIN)
 *     item = q.get_nowait()  # QueueEmpty            bq_tryget(&q, &item);  (-EAGAIN)
 *     await asyncio.wait_for(q.get(), 0.5)           bq_timedget(&q, &item, &deadline);
 *     q.shutdown()  # 3.13: QueueShutDown            bq_close(&q, 0);       (-EPIPE)
 *     q.qsize()                                      bq_depth(&q);
 *
 *     async with session.get(url) as resp:           stream_lines(url, &q, &stats);
 *         async for line in resp.content:            (on its own thread; consumers bq_get)
 *             await q.put(line)
 *
 * Two parts, each in a file of its own: bqueue.c (the queue), then stream.c (libcurl's write
 * callback splits the body into lines and puts them into the queue, pausing the transfer while
 * the queue is full). Every int function returns 0 or a negative errno.
 *
 * This file is read-only: the tests are written against it.
 */
#ifndef BQUEUE_H
#define BQUEUE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

/* ---- part 1: the queue (bqueue.c) ---- */

#define BQ_CAPACITY_MAX (1u << 20) /* the largest capacity bq_init accepts */

/* A queue of at most capacity items, each a void * that the queue stores and hands back without
 * looking at it (NULL is an item like any other; what it points to belongs to the producers and
 * consumers). Items come out in the order they went in. The caller allocates the struct (embeds
 * it, or puts it on the stack); bq_init and bq_destroy set it up and tear it down.
 *
 * Two conditions, two condition variables: a producer sleeps on not_full while the queue is
 * full, a consumer sleeps on not_empty while it is empty. Lock order: lock alone; nothing else
 * is taken while holding it, and no function returns with it held. */
struct bq {
    pthread_mutex_t lock;     /* guards every field below */
    pthread_cond_t not_full;  /* a slot was freed, or the queue closed; waits on CLOCK_MONOTONIC */
    pthread_cond_t not_empty; /* an item was added, or the queue closed; waits on CLOCK_MONOTONIC */
    void **slots;             /* a ring of capacity slots, malloc'd by bq_init */
    size_t capacity;          /* 1..BQ_CAPACITY_MAX */
    size_t head;              /* slot of the oldest item */
    size_t count;             /* items in the queue now, 0..capacity */
    bool closed;              /* bq_close was called: no more puts */
    int close_status;         /* what a get returns once closed and empty: -EPIPE, or the
                               * error given to bq_close */
    /* What happened, for the tests and the plots (bq_stats): */
    size_t peak;    /* the most items the queue held at once */
    long put_waits; /* puts that found the queue full and had to wait (once per put; a
                     * bq_tryput never counts, a bq_timedput whose deadline has passed does) */
    long get_waits; /* gets that found the queue empty and open and had to wait (the same) */
};

/* Sets up q, empty, for at most capacity items. Both condition variables measure deadlines on
 * CLOCK_MONOTONIC, the clock of the timed forms' deadlines (monotonic_cond_init, in
 * lessons/common/monotonic.h, makes one so).
 * Returns 0; -EINVAL if q is NULL or capacity is 0 or above BQ_CAPACITY_MAX; -ENOMEM; or the
 * error of a failed pthread_*_init, negated (then nothing is left to destroy). Not thread-safe:
 * call it before any other thread can see q. */
int bq_init(struct bq *q, size_t capacity);

/* Tears q down and frees its slots. No thread may be waiting on q or use it again (until
 * bq_init). Items still in the queue are forgotten, not freed: drain it first if they own
 * memory. Returns 0, -EINVAL if q is NULL, or the error of a failed pthread_*_destroy, negated. */
int bq_destroy(struct bq *q);

/* Adds item at the tail. While the queue is full, sleeps (no CPU) until a consumer takes an item
 * or the queue is closed; it is bq_timedput with no deadline. Any thread.
 * Returns 0 with the item in the queue; -EPIPE if the queue is closed (at once, or when it is
 * closed while this put waits: the item is then not in the queue); -EINVAL if q is NULL. */
int bq_put(struct bq *q, void *item);

/* bq_put, waiting at most until deadline: an absolute time on CLOCK_MONOTONIC (now plus the
 * timeout, computed once by the caller), not a duration; NULL means no deadline. A wake-up does
 * not mean there is room (another producer may have taken the slot, and POSIX allows wake-ups
 * for no reason): check again, and wait again until the same deadline.
 * Returns 0; -ETIMEDOUT when the deadline passed with the queue still full (item not added; a
 * deadline already past with the queue full returns at once); -EPIPE; -EINVAL (q NULL, or
 * deadline->tv_nsec outside 0..999,999,999 when it had to wait). */
int bq_timedput(struct bq *q, void *item, const struct timespec *deadline);

/* bq_put that never waits. Returns 0; -EAGAIN if the queue is full (Python's QueueFull);
 * -EPIPE if it is closed; -EINVAL if q is NULL. */
int bq_tryput(struct bq *q, void *item);

/* Takes the item at the head and stores it in *item. While the queue is empty, sleeps (no CPU)
 * until a producer adds one or the queue is closed; it is bq_timedget with no deadline. A closed
 * queue still gives every item it holds, in order; only once it is empty does a get fail.
 * Any thread. Returns 0 with *item set; once closed and empty, the queue's close status (-EPIPE,
 * or the error given to bq_close), *item untouched; -EINVAL if q or item is NULL. */
int bq_get(struct bq *q, void **item);

/* bq_get, waiting at most until deadline (as bq_timedput's; NULL: no deadline).
 * Returns 0; -ETIMEDOUT when the deadline passed with the queue still empty; the close status;
 * -EINVAL (q or item NULL, or deadline->tv_nsec outside 0..999,999,999 when it had to wait). */
int bq_timedget(struct bq *q, void **item, const struct timespec *deadline);

/* bq_get that never waits. Returns 0; -EAGAIN if the queue is empty and open (Python's
 * QueueEmpty); the close status if it is empty and closed; -EINVAL if q or item is NULL. */
int bq_tryget(struct bq *q, void **item);

/* Closes q, as Python 3.13's Queue.shutdown(): from now on every put fails with -EPIPE, and a get
 * fails once the queue is empty, with status if status is a negative errno (a producer's error,
 * such as -EIO, reaches the consumers after the items that came before it), else with -EPIPE.
 * Wakes every thread waiting on q, producers and consumers alike, at once. Closing a closed
 * queue changes nothing (the first status stays). Any thread; never blocks (but for the lock).
 * Returns 0, or -EINVAL if q is NULL or status is positive. */
int bq_close(struct bq *q, int status);

/* Items in the queue now (Python's qsize()): by the time the caller reads it, other threads
 * may have changed it. 0 if q is NULL. Any thread; never blocks (but for the lock). */
size_t bq_depth(struct bq *q);

/* What the queue saw since bq_init. */
struct bq_stats {
    size_t peak;    /* the most items it held at once */
    long put_waits; /* puts that had to wait because it was full */
    long get_waits; /* gets that had to wait because it was empty */
};

/* A copy of q's counts, read under its lock. All zero if q is NULL. Any thread. */
struct bq_stats bq_stats(struct bq *q);

/* ---- part 2: an HTTP body through the queue, line by line (stream.c) ---- */

/* What one stream_lines call did. */
struct stream_stats {
    long lines;       /* lines put into the queue */
    long pauses;      /* times the write callback paused the transfer (CURL_WRITEFUNC_PAUSE) */
    long resumes;     /* times the transfer was resumed (curl_easy_pause with CURLPAUSE_CONT) */
    size_t peak_held; /* the most body bytes held at once outside the queue (a partial line, and
                       * data not yet split into lines): what backpressure keeps bounded */
};

/* GETs url with libcurl and puts each line of the body into q as soon as it has arrived, while
 * other threads take lines out with bq_get. A line is a malloc'd, NUL-terminated string without
 * its '\n' (the consumer frees it with free()); a last line with no '\n' after it is a line too,
 * once the body is complete. A line may arrive in several pieces (several calls of the write
 * callback): it is put into q whole, once, when its '\n' has come.
 *
 * Backpressure: while q is full, the write callback never waits (that would stall libcurl) and
 * never drops data: it returns CURL_WRITEFUNC_PAUSE, libcurl stops reading the socket, and the
 * server's sends fill the TCP window and wait. stream_lines then sleeps until q has room (no
 * CPU) and resumes the transfer with curl_easy_pause(CURLPAUSE_CONT). So the memory held
 * outside the queue stays under the longest line plus two of libcurl's write pieces
 * (CURL_MAX_WRITE_SIZE, 16 KiB each), however long the body.
 *
 * At the end, stream_lines closes q: bq_close(q, 0) after a whole body (consumers then get
 * -EPIPE after the last line), or bq_close(q, error) after a failure, so that consumers get the
 * error after the lines that did arrive (a partial last line is dropped then: it is not a line).
 *
 * Blocks the calling thread until the transfer is over (it drives it with libcurl's multi
 * interface, CURLOPT_NOSIGNAL set). The program must have called curl_global_init first. stats
 * may be NULL; otherwise it is filled in, also on failure.
 * Returns 0 after a whole body; -ECONNREFUSED when nothing listens at the address; -EPROTO for
 * an HTTP status of 400 or more (no line is delivered); -EIO when the transfer fails once
 * started (the server closes the connection before the end of the body...); -EPIPE if q was
 * closed by someone else meanwhile (the consumers gave up: the transfer is stopped soon after);
 * -ENOMEM; -EINVAL for a URL libcurl cannot use; or -EINVAL if url or q is NULL, and then
 * nothing happens (q is not closed). On every other return, q has been closed and every handle
 * cleaned up. */
int stream_lines(const char *url, struct bq *q, struct stream_stats *stats);

#endif
