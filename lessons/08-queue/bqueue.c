/* bqueue.c: a bounded blocking queue, as asyncio.Queue(maxsize) is for coroutines.
 *
 * Your task: write the bq_* functions as bqueue.h describes. A mutex guards the ring of slots,
 * its count and the closed flag; producers sleep on not_full while the queue is full, consumers
 * on not_empty while it is empty; bq_close wakes them all. Grade it with `make check L=08`;
 * stuck? `make hint L=08`.
 */
#include "bqueue.h"

#include <errno.h>

int bq_init(struct bq *q, size_t capacity)
{
    /* TODO: check the arguments, allocate capacity slots, set up the mutex and the two
     * condition variables (on CLOCK_MONOTONIC: monotonic_cond_init, from "monotonic.h"), and
     * start empty and open. */
    (void)q;
    (void)capacity;
    return -ENOSYS;
}

int bq_destroy(struct bq *q)
{
    /* TODO: undo bq_init, in reverse order. */
    (void)q;
    return -ENOSYS;
}

int bq_put(struct bq *q, void *item)
{
    /* TODO: bq_timedput with no deadline. */
    (void)q;
    (void)item;
    return -ENOSYS;
}

int bq_timedput(struct bq *q, void *item, const struct timespec *deadline)
{
    /* TODO: under the lock, sleep on not_full while the queue is full and open (until the
     * deadline); then add the item at the tail and wake a consumer, or say why not. */
    (void)q;
    (void)item;
    (void)deadline;
    return -ENOSYS;
}

int bq_tryput(struct bq *q, void *item)
{
    /* TODO: bq_put that never sleeps: -EAGAIN when the queue is full. */
    (void)q;
    (void)item;
    return -ENOSYS;
}

int bq_get(struct bq *q, void **item)
{
    /* TODO: bq_timedget with no deadline. */
    (void)q;
    (void)item;
    return -ENOSYS;
}

int bq_timedget(struct bq *q, void **item, const struct timespec *deadline)
{
    /* TODO: under the lock, sleep on not_empty while the queue is empty and open (until the
     * deadline); then take the item at the head and wake a producer, or say why not. */
    (void)q;
    (void)item;
    (void)deadline;
    return -ENOSYS;
}

int bq_tryget(struct bq *q, void **item)
{
    /* TODO: bq_get that never sleeps: -EAGAIN when the queue is empty and open. */
    (void)q;
    (void)item;
    return -ENOSYS;
}

int bq_close(struct bq *q, int status)
{
    /* TODO: mark the queue closed (keep the first status) and wake every waiter. */
    (void)q;
    (void)status;
    return -ENOSYS;
}

size_t bq_depth(struct bq *q)
{
    /* TODO: the count, read under the lock. */
    (void)q;
    return 0;
}

struct bq_stats bq_stats(struct bq *q)
{
    /* TODO: a copy of the counts, read under the lock. */
    (void)q;
    return (struct bq_stats){ 0 };
}
