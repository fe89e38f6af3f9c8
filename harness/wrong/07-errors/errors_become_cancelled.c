/* Wrong: marks every task but the first failure as -ECANCELED, losing the other errors (an
 * ExceptionGroup keeps them). Caught by taskgroup_reports_first_error_in_time. */
#include "errors.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

/* One call: what its threads share. first is the index of the first task to fail, or n while
 * none has; it changes once, by compare-and-swap. token is set once, by that task's thread, if
 * fail_fast. */
struct group {
    size_t n;
    bool fail_fast;
    struct cancel_token token;
    atomic_size_t first;
};

/* One task of the call: its thread runs task with the group's token, and stores into result. */
struct member {
    struct group *group;
    const struct cancellable_task *task;
    struct task_result *result;
    size_t index;
    pthread_t thread;
};

bool cancel_requested(const struct cancel_token *tok)
{
    return atomic_load(&tok->requested);
}

/* Task i failed (or could not start). The first to get here is the group's first failure. */
static void report_failure(struct group *g, size_t i)
{
    size_t none = g->n;

    if (atomic_compare_exchange_strong(&g->first, &none, i) && g->fail_fast)
        atomic_store(&g->token.requested, true);
}

static void *member_main(void *arg)
{
    struct member *m = arg;
    long value = 0;
    int status = m->task->fn(&m->group->token, m->task->arg, &value);

    *m->result = (struct task_result){ .status = status, .value = status == 0 ? value : 0 };
    if (status != 0)
        report_failure(m->group, m->index);
    return NULL;
}

static bool valid(const struct cancellable_task *tasks, size_t n, const struct task_result *results)
{
    if (n > 0 && (!tasks || !results))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!tasks[i].fn)
            return false;
    return true;
}

/* Runs every task on a thread of its own and joins them all; g says what a failure does.
 * Returns 0 once every task has run or been given the error that kept it from starting, or
 * -ENOMEM with nothing run. */
static int run_all(struct group *g, const struct cancellable_task *tasks,
                   struct task_result *results)
{
    struct member *members = calloc(g->n ? g->n : 1, sizeof(*members));
    size_t started = 0;

    if (!members)
        return -ENOMEM;
    for (; started < g->n; started++) {
        struct member *m = &members[started];
        int rc;

        *m = (struct member){
            .group = g, .task = &tasks[started], .result = &results[started], .index = started
        };
        rc = pthread_create(&m->thread, NULL, member_main, m);
        if (rc != 0) {
            /* This task and the later ones never run; the failure counts as this task's. */
            for (size_t i = started; i < g->n; i++)
                results[i] = (struct task_result){ .status = -rc, .value = 0 };
            report_failure(g, started);
            break;
        }
    }
    /* Every task that started is joined, whatever happened: none may outlive the call. */
    for (size_t i = 0; i < started; i++)
        pthread_join(members[i].thread, NULL);
    free(members);
    return 0;
}

static void group_init(struct group *g, size_t n, bool fail_fast)
{
    g->n = n;
    g->fail_fast = fail_fast;
    atomic_init(&g->token.requested, false);
    atomic_init(&g->first, n);
}

int gather_all_status(const struct cancellable_task *tasks, size_t n, struct task_result *results)
{
    struct group g;
    int failed = 0, rc;

    if (!valid(tasks, n, results))
        return -EINVAL;
    group_init(&g, n, false);
    rc = run_all(&g, tasks, results);
    if (rc != 0)
        return rc;
    for (size_t i = 0; i < n; i++)
        failed += results[i].status != 0;
    return failed;
}

int taskgroup_run(const struct cancellable_task *tasks, size_t n, struct task_result *results,
                  size_t *first_failed)
{
    struct group g;
    size_t first;
    int rc;

    if (!valid(tasks, n, results) || !first_failed)
        return -EINVAL;
    group_init(&g, n, true);
    rc = run_all(&g, tasks, results);
    if (rc != 0)
        return rc;
    first = atomic_load(&g.first);
    for (size_t i = 0; first < n && i < n; i++)
        if (i != first && results[i].status != 0)
            results[i].status = -ECANCELED;
    *first_failed = first;
    return first < n ? results[first].status : 0;
}
