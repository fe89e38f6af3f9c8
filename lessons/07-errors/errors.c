/* errors.c: many tasks, some failing: gather every outcome, or fail fast and cancel the rest.
 *
 * Your task: write cancel_requested, gather_all_status and taskgroup_run as errors.h describes.
 * Both start a thread per task and join every one of them; taskgroup_run also notes which task
 * failed first (in time) and sets the cancel token the tasks share as soon as it does.
 * Grade it with `make check L=07`; stuck? `make hint L=07`.
 */
#include "errors.h"

#include <errno.h>
#include <pthread.h>

bool cancel_requested(const struct cancel_token *tok)
{
    /* TODO: has the group asked the tasks to stop? (As in lesson 04.) */
    (void)tok;
    return false;
}

int gather_all_status(const struct cancellable_task *tasks, size_t n, struct task_result *results)
{
    /* TODO: a thread per task; join them all; results in input order; count the failures. */
    (void)tasks;
    (void)n;
    (void)results;
    return -ENOSYS;
}

int taskgroup_run(const struct cancellable_task *tasks, size_t n, struct task_result *results,
                  size_t *first_failed)
{
    /* TODO: a thread per task, one shared token; the first task to fail (in time) sets it;
     * join every thread, whatever happens; return the first failure and its index. */
    (void)tasks;
    (void)n;
    (void)results;
    (void)first_failed;
    return -ENOSYS;
}
