/* errors.c: many tasks, some failing: gather every outcome, or fail fast (reference).
 *
 * Both functions are one engine: a thread per task, every one joined before the call returns.
 * They differ in what a failure does. gather_all_status only records it. taskgroup_run also
 * sets the cancel token that every task of the group polls, so the others stop within one of
 * their polls, instead of running to their end for an answer nobody will use.
 *
 * "First" means first in time. The thread of a failed task claims the group's first-failure slot
 * with one compare-and-swap (from "none" to its index); exactly one claim can succeed, and it is
 * the earliest one, whatever the tasks' indices. The winner sets the token. Joining the threads
 * in index order and looking at each status as it is joined would find the wrong "first" (task 0
 * is joined first even if task 3 failed long before) and would cancel late: a group that waits
 * for task 0 before it looks at task 3 lets every sibling run until task 0 ends.
 *
 * Every thread writes only its own result slot, and the caller reads the slots after joining the
 * threads: pthread_join orders those writes before the reads, so the slots need no lock.
 *
 * Cost: a thread per task (about 36 us to create and join each) and one atomic operation per
 * failure. A thread pool would save the creations; the cancellation would work the same way.
 * The alternative rejected is pthread_cancel: it stops a thread at its next cancellation point
 * (any sleep, read or lock wait), leaving its locks held and its work half done.
 */
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
    *first_failed = first;
    return first < n ? results[first].status : 0;
}
