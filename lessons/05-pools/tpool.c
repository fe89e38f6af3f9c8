/* tpool.c: a thread pool: a fixed set of worker threads over a work queue.
 *
 * Your task: write tpool_create, tpool_submit, tpool_wait, tpool_destroy and tpool_map as
 * pools.h describes. Start with the struct (a queue, a mutex, condition variables, the worker
 * threads), then create/destroy, then submit/wait, then map on top of them.
 * Grade it with `make check L=05`; stuck? `make hint L=05`.
 */
#include "pools.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

struct tpool {
    int workers; /* TODO: the queue, the lock, the condition variables, the threads... */
};

int tpool_create(struct tpool **out, int workers)
{
    /* TODO: start the workers, and return once every one of them runs. */
    (void)out;
    (void)workers;
    return -ENOSYS;
}

int tpool_submit(struct tpool *p, tpool_task_fn fn, void *arg)
{
    /* TODO: queue the task and wake one idle worker. */
    (void)p;
    (void)fn;
    (void)arg;
    return -ENOSYS;
}

int tpool_wait(struct tpool *p)
{
    /* TODO: sleep until the queue is empty and no worker runs a task. */
    (void)p;
    return -ENOSYS;
}

void tpool_destroy(struct tpool *p)
{
    /* TODO: let the queued tasks finish, stop and join every worker, free everything. */
    (void)p;
}

int tpool_map(struct tpool *p, long (*fn)(long), const long *in, long *out, size_t n)
{
    /* TODO: hand the items to the workers and wait until every out[i] is written. */
    (void)p;
    (void)fn;
    (void)in;
    (void)out;
    (void)n;
    return -ENOSYS;
}
