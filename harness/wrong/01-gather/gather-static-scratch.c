/* Wrong: run_one keeps the task's answer in a static variable, one for every thread: tasks that
 * run at the same time write it and read it back without a lock (a data race), and a task may
 * report another one's value.
 * Caught: gather_many_tasks (300 tasks ending together: some report another one's value); the
 * race pass (ThreadSanitizer) flags it in every test that runs tasks side by side. */
#include "gather.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

/* Runs one task and records what it returned. Both functions use it, so a task's outcome is
 * stored the same way whichever thread runs it. */
static void run_one(const struct task *t, struct task_result *r)
{
    static long value;

    value = 0;
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

static void *job_main(void *arg)
{
    struct job *job = arg;

    run_one(job->task, job->result);
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
    for (; started < n; started++) {
        jobs[started] = (struct job){ .task = &tasks[started], .result = &results[started] };
        rc = pthread_create(&jobs[started].thread, NULL, job_main, &jobs[started]);
        if (rc != 0)
            break;
    }
    /* ...and only then wait for each. Joining inside the loop above would wait for each task
     * before starting the next: sequential again, with the cost of threads on top. */
    for (size_t i = 0; i < started; i++) {
        int joined = pthread_join(jobs[i].thread, NULL);

        /* Joining a thread we created and never joined cannot fail; if it ever did, the
         * program is broken, and saying so beats carrying on. */
        if (joined != 0 && rc == 0)
            rc = joined;
    }
    /* The tasks that could not start never ran: say so in their slots. */
    for (size_t i = started; i < n; i++)
        results[i] = (struct task_result){ .status = -rc, .value = 0 };
    free(jobs);
    return -rc;
}
