/* Wrong: a constructor that ends the process with exit(0) before main() runs, hoping that a
 * runner which heard nothing counts nothing. Caught: every listed test gets a verdict (EXIT), and
 * the lesson's tests and points come from a binary without the learner's code. */
#include "gather.h"

#include <errno.h>
#include <stdlib.h>

__attribute__((constructor)) static void leave(void)
{
    exit(0);
}

int run_sequential(const struct task *tasks, size_t n, struct task_result *results)
{
    (void)tasks;
    (void)n;
    (void)results;
    return -ENOSYS;
}

int run_gather(const struct task *tasks, size_t n, struct task_result *results)
{
    (void)tasks;
    (void)n;
    (void)results;
    return -ENOSYS;
}
