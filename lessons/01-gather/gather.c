/* gather.c: sequential awaits and asyncio.gather, with one thread per task.
 *
 * Your task: write run_sequential and run_gather as gather.h describes. Start with
 * run_sequential (a loop), then run_gather with pthread_create and pthread_join.
 * Grade it with `make check L=01`; stuck? `make hint L=01`.
 */
#include "gather.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

int run_sequential(const struct task *tasks, size_t n, struct task_result *results)
{
    /* TODO: run each task in turn and store what it returned in results[i]. */
    (void)tasks;
    (void)n;
    (void)results;
    return -ENOSYS;
}

int run_gather(const struct task *tasks, size_t n, struct task_result *results)
{
    /* TODO: start a thread for every task, then wait for all of them. */
    (void)tasks;
    (void)n;
    (void)results;
    return -ENOSYS;
}
