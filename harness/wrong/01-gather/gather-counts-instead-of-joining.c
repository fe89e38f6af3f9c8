/* Wrong: detaches its threads and, instead of joining them, waits for a shared counter of
 * finished tasks to reach n, looking at it again and again (a busy wait), and returns while the
 * threads are still ending.
 * Caught: gather_leaves_no_thread_behind (it returns before its threads have ended); the busy wait
 * fails gather_sleeps_while_waiting as well. */
#include "gather.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>

/* Runs one task and records what it returned. Both functions use it, so a task's outcome is
 * stored the same way whichever thread runs it. */
static void run_one(const struct task *t, struct task_result *r)
{
    long value = 0;

    r->status = t->fn(t->arg, &value);
    r->value = r->status == 0 ? value : 0;
}

int run_sequential(const struct task *tasks, size_t n, struct task_result *results)
{
    if (n > 0 && (!tasks || !results))
        return -EINVAL;
    for (size_t i = 0; i < n; i++)
        run_one(&tasks[i], &results[i]);
    return 0;
}

/* What one thread needs: its task and its own result slot. One per thread, never shared, so
 * no thread can see another's argument change under it. */
struct job {
    pthread_t thread;
    const struct task *task;
    struct task_result *result;
};

static atomic_size_t finished; /* tasks done, all calls together */

static void *job_main(void *arg)
{
    struct job *job = arg;

    run_one(job->task, job->result);
    atomic_fetch_add(&finished, 1);
    return NULL;
}

int run_gather(const struct task *tasks, size_t n, struct task_result *results)
{
    struct job *jobs;
    size_t started = 0;
    int rc = 0;

    if (n == 0)
        return 0;
    if (!tasks || !results)
        return -EINVAL;
    jobs = calloc(n, sizeof(*jobs));
    if (!jobs)
        return -ENOMEM;
    /* Start them all first... */
    atomic_store(&finished, 0);
    for (; started < n; started++) {
        jobs[started] = (struct job){ .task = &tasks[started], .result = &results[started] };
        rc = pthread_create(&jobs[started].thread, NULL, job_main, &jobs[started]);
        if (rc != 0)
            break;
        pthread_detach(jobs[started].thread);
    }
    /* ...and only then wait for each. Joining inside the loop above would wait for each task
     * before starting the next: sequential again, with the cost of threads on top. */
    while (atomic_load(&finished) < started)
        sched_yield();
    /* The tasks that could not start never ran: say so in their slots. */
    for (size_t i = started; i < n; i++)
        results[i] = (struct task_result){ .status = -rc, .value = 0 };
    free(jobs);
    return -rc;
}
