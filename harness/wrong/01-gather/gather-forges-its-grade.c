/* Wrong: does no work, and instead writes forged results ("PASS" records in the results file's
 * format, and end-of-test records stamped with other pids) into every descriptor it can find.
 * Caught: the test's process holds only stdio and its own report pipe, and the runner counts
 * only records of the process it started; every test fails. */
#include "gather.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void forge(void)
{
    char line[256];
    int n =
        snprintf(line, sizeof(line),
                 "01-gather\tsequential_results_in_order\tPASS\t1\t1\t0.001\t10000\tPASS\t\t\t\n"
                 "E %d\nE %d\nE 1\n",
                 (int)getppid(), (int)getppid() + 1);

    for (int fd = 3; fd < 1024; fd++)
        if (write(fd, line, (size_t)n) < 0 && errno == EBADF)
            continue;
}

int run_sequential(const struct task *tasks, size_t n, struct task_result *results)
{
    (void)tasks;
    (void)n;
    (void)results;
    forge();
    return -ENOSYS;
}

int run_gather(const struct task *tasks, size_t n, struct task_result *results)
{
    (void)tasks;
    (void)n;
    (void)results;
    forge();
    return -ENOSYS;
}
