/* ppool.c: a process pool: forked workers that take items and send results through pipes.
 *
 * Your task: write ppool_create, ppool_map and ppool_destroy as pools.h describes. Start with
 * one worker and one item at a time, then several workers, then several items in flight per
 * worker, then a worker that dies.
 * Grade it with `make check L=05`; stuck? `make hint L=05`.
 */
#define _GNU_SOURCE /* for pipe2, which opens a pipe with O_CLOEXEC in one step */
#include "pools.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/types.h>
#include <unistd.h>

struct ppool {
    int workers; /* TODO: each worker's pid and pipe ends... */
};

int ppool_create(struct ppool **out, int workers)
{
    /* TODO: fork the workers, each with a pipe to read items from and one to write results to. */
    (void)out;
    (void)workers;
    return -ENOSYS;
}

int ppool_map(struct ppool *p, long (*fn)(long), const long *in, long *out, int *status, size_t n)
{
    /* TODO: keep several items in flight per worker; put each result in its own slot. */
    (void)p;
    (void)fn;
    (void)in;
    (void)out;
    (void)status;
    (void)n;
    return -ENOSYS;
}

void ppool_destroy(struct ppool *p)
{
    /* TODO: close the pipes to the workers, then reap every one of them. */
    (void)p;
}
