/* wrong: one condition variable for both conditions, with signal; caught by
 * bq_many_producers_many_consumers (stuck) */
#include "bqueue.h"

#include <errno.h>
#include <stdlib.h>

#include "monotonic.h"

#define NO_WAIT (&no_wait) /* a deadline that means "do not wait" */
static const struct timespec no_wait;

/* Sets up q's two condition variables on CLOCK_MONOTONIC, the clock of the timed forms'
 * deadlines (on their default, CLOCK_REALTIME, a monotonic deadline reads as a date in 1970).
 * Returns 0 or a negative errno, with nothing left to destroy on failure. */
static int init_conds(struct bq *q)
{
    int rc = monotonic_cond_init(&q->not_full);

    if (rc < 0)
        return rc;
    rc = monotonic_cond_init(&q->not_empty);
    if (rc < 0)
        pthread_cond_destroy(&q->not_full);
    return rc;
}

int bq_init(struct bq *q, size_t capacity)
{
    int rc;

    if (!q || capacity == 0 || capacity > BQ_CAPACITY_MAX)
        return -EINVAL;
    *q = (struct bq){ .capacity = capacity, .close_status = -EPIPE };
    q->slots = malloc(capacity * sizeof(*q->slots));
    if (!q->slots)
        return -ENOMEM;
    rc = -pthread_mutex_init(&q->lock, NULL);
    if (rc == 0) {
        rc = init_conds(q);
        if (rc != 0)
            pthread_mutex_destroy(&q->lock);
    }
    if (rc != 0) { /* nothing is left half-made */
        free(q->slots);
        q->slots = NULL;
    }
    return rc;
}

int bq_destroy(struct bq *q)
{
    int rc[3];

    if (!q)
        return -EINVAL;
    /* Reverse order of bq_init; report the first error, but undo everything. */
    rc[0] = pthread_cond_destroy(&q->not_empty);
    rc[1] = pthread_cond_destroy(&q->not_full);
    rc[2] = pthread_mutex_destroy(&q->lock);
    free(q->slots);
    q->slots = NULL;
    return -(rc[0] ? rc[0] : rc[1] ? rc[1] : rc[2]);
}

/* Sleeps on cond until woken or the deadline (NULL: none) passes. Called and returns with
 * q->lock held. Returns 0 (woken: for a reason or none, the caller re-checks), -ETIMEDOUT or
 * -EINVAL (a deadline pthread refused). */
static int wait_on(struct bq *q, pthread_cond_t *cond, const struct timespec *deadline)
{
    if (deadline == NO_WAIT)
        return -ETIMEDOUT;
    if (!deadline)
        return -pthread_cond_wait(cond, &q->lock);
    if (deadline->tv_nsec < 0 || deadline->tv_nsec >= 1000000000L)
        return -EINVAL;
    return -pthread_cond_timedwait(cond, &q->lock, deadline);
}

/* bq_timedput, with NO_WAIT for bq_tryput (which reports -EAGAIN, not -ETIMEDOUT). */
static int put(struct bq *q, void *item, const struct timespec *deadline)
{
    int rc = 0;

    if (!q)
        return -EINVAL;
    pthread_mutex_lock(&q->lock);
    if (!q->closed && q->count == q->capacity && deadline != NO_WAIT)
        q->put_waits++;
    /* A while, never an if: whatever woke this thread, only the state under the lock says
     * whether there is room now. */
    while (!q->closed && q->count == q->capacity && rc == 0)
        rc = wait_on(q, &q->not_empty, deadline);
    if (q->closed) {
        rc = -EPIPE;
    } else if (q->count < q->capacity) { /* room, even if the deadline passed meanwhile */
        q->slots[(q->head + q->count) % q->capacity] = item;
        if (++q->count > q->peak)
            q->peak = q->count;
        pthread_cond_signal(&q->not_empty); /* after the change, with the lock held */
        rc = 0;
    } else if (deadline == NO_WAIT) {
        rc = -EAGAIN;
    }
    pthread_mutex_unlock(&q->lock);
    return rc;
}

int bq_put(struct bq *q, void *item)
{
    return put(q, item, NULL);
}

int bq_timedput(struct bq *q, void *item, const struct timespec *deadline)
{
    return put(q, item, deadline);
}

int bq_tryput(struct bq *q, void *item)
{
    return put(q, item, NO_WAIT);
}

/* bq_timedget, with NO_WAIT for bq_tryget. */
static int get(struct bq *q, void **item, const struct timespec *deadline)
{
    int rc = 0;

    if (!q || !item)
        return -EINVAL;
    pthread_mutex_lock(&q->lock);
    if (!q->closed && q->count == 0 && deadline != NO_WAIT)
        q->get_waits++;
    while (!q->closed && q->count == 0 && rc == 0)
        rc = wait_on(q, &q->not_empty, deadline);
    if (q->count > 0) { /* a closed queue still gives what it holds */
        *item = q->slots[q->head];
        q->head = (q->head + 1) % q->capacity;
        q->count--;
        pthread_cond_signal(&q->not_empty);
        rc = 0;
    } else if (q->closed) {
        rc = q->close_status;
    } else if (deadline == NO_WAIT) {
        rc = -EAGAIN;
    }
    pthread_mutex_unlock(&q->lock);
    return rc;
}

int bq_get(struct bq *q, void **item)
{
    return get(q, item, NULL);
}

int bq_timedget(struct bq *q, void **item, const struct timespec *deadline)
{
    return get(q, item, deadline);
}

int bq_tryget(struct bq *q, void **item)
{
    return get(q, item, NO_WAIT);
}

int bq_close(struct bq *q, int status)
{
    if (!q || status > 0)
        return -EINVAL;
    pthread_mutex_lock(&q->lock);
    if (!q->closed) {
        q->closed = true;
        q->close_status = status < 0 ? status : -EPIPE;
        /* Every waiter's condition has changed: wake them all, producers and consumers. */
        pthread_cond_broadcast(&q->not_empty);
    }
    pthread_mutex_unlock(&q->lock);
    return 0;
}

size_t bq_depth(struct bq *q)
{
    size_t n;

    if (!q)
        return 0;
    pthread_mutex_lock(&q->lock);
    n = q->count;
    pthread_mutex_unlock(&q->lock);
    return n;
}

struct bq_stats bq_stats(struct bq *q)
{
    struct bq_stats st = { 0 };

    if (!q)
        return st;
    pthread_mutex_lock(&q->lock);
    st = (struct bq_stats){ .peak = q->peak, .put_waits = q->put_waits, .get_waits = q->get_waits };
    pthread_mutex_unlock(&q->lock);
    return st;
}
