/* Wrong: a constructor that never returns, which runs before main() of whatever it is linked
 * into. Caught: it runs only in each test's contained process, never in the grader, so every
 * test is a TIMEOUT and make check still ends. */
#include "gather.h"

#include <errno.h>
#include <unistd.h>

__attribute__((constructor)) static void hang(void)
{
    for (;;)
        pause();
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
