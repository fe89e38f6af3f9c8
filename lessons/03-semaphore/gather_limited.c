/* gather_limited.c: asyncio.gather under a Semaphore, on threads.
 *
 * Your task, part 2 of 3 (after csem.c): write gather_limited as csem.h describes. Start from
 * lesson 01's run_gather, and bound it with your semaphore: the Python version wraps each
 * coroutine in `async with sem:`.
 * Grade it with `make check L=03` (the gather_limited_* tests); stuck? `make hint L=03`.
 */
#include "csem.h"

#include <errno.h>
#include <stdlib.h>

int gather_limited(const struct task *tasks, size_t n, size_t limit, struct task_result *results)
{
    /* TODO: run every task on a thread, at most limit of them at once, and wait for all. */
    (void)tasks;
    (void)n;
    (void)limit;
    (void)results;
    return -ENOSYS;
}
