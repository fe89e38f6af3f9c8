/* Wrong: the semaphore starts with limit + 1 permits (an off-by-one), so one task more than the
 * limit runs at once.
 * Caught: gather_limited_peak_is_limit (5 tasks ran at once under limit 4). */
#include "csem.h"

#include <errno.h>
#include <stdlib.h>

/* What one thread needs: its task, its own result slot, and the shared semaphore. */
struct job {
    pthread_t thread;
    const struct task *task;
    struct task_result *result;
    struct csem *sem;
};

static void *job_main(void *arg)
{
    struct job *job = arg;
    long value = 0;
    int rc;

    rc = csem_wait(job->sem);
    if (rc != 0) {
        job->result->status = rc;
        return NULL;
    }
    rc = job->task->fn(job->task->arg, &value);
    /* Give the permit back before anything else, whatever the task returned: a failed task
     * that kept its permit would shrink the limit for good, and with enough failures every
     * later task would wait forever. */
    csem_post(job->sem);
    job->result->status = rc;
    job->result->value = rc == 0 ? value : 0;
    return NULL;
}

int gather_limited(const struct task *tasks, size_t n, size_t limit, struct task_result *results)
{
    struct csem sem;
    struct job *jobs;
    size_t started = 0, permits;
    int rc;

    if (limit == 0 || (n > 0 && (!tasks || !results)))
        return -EINVAL;
    if (n == 0)
        return 0;
    /* More permits than tasks would never be used (and a csem holds CSEM_VALUE_MAX at most). */
    permits = limit + 1 < n ? limit + 1 : n;
    rc = csem_init(&sem, permits < CSEM_VALUE_MAX ? (unsigned int)permits : CSEM_VALUE_MAX);
    if (rc != 0)
        return rc;
    jobs = calloc(n, sizeof(*jobs));
    if (!jobs) {
        csem_destroy(&sem);
        return -ENOMEM;
    }
    for (; started < n; started++) {
        jobs[started] =
            (struct job){ .task = &tasks[started], .result = &results[started], .sem = &sem };
        rc = pthread_create(&jobs[started].thread, NULL, job_main, &jobs[started]);
        if (rc != 0)
            break;
    }
    /* Join every thread that started before the semaphore goes away: they all use it. */
    for (size_t i = 0; i < started; i++)
        pthread_join(jobs[i].thread, NULL);
    for (size_t i = started; i < n; i++)
        results[i] = (struct task_result){ .status = -rc, .value = 0 };
    free(jobs);
    csem_destroy(&sem);
    return -rc;
}
