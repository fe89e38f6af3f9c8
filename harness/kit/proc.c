/* proc.c: counts of threads, descriptors and children, from /proc (see proc.h). */
#define _GNU_SOURCE
#include "proc.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "clock.h"
#include "sysinfo.h"

/* Entries of a /proc directory, "." and ".." aside; minus the one opendir itself holds when the
 * directory is /proc/self/fd. */
static int count_entries(const char *path)
{
    DIR *d = opendir(path);
    struct dirent *e;
    int n = 0;

    if (!d)
        return -errno;
    while ((e = readdir(d)) != NULL)
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

int h_count_threads(void)
{
    return count_entries("/proc/self/task");
}

int h_settled_threads(int want, int ms)
{
    int64_t give_up = h_deadline_ms(ms);
    int n;

    while ((n = h_count_threads()) > want && h_now_ns() < give_up)
        h_sleep_ms(1);
    return n;
}

int h_count_fds(void)
{
    int n = count_entries("/proc/self/fd");

    return n > 0 ? n - 1 : n;
}

/* Children of this process, listed by the kernel per thread: read every thread's list. */
static int count_kids(int zombies_only)
{
    DIR *d = opendir("/proc/self/task");
    struct dirent *e;
    int n = 0;

    if (!d)
        return -errno;
    while ((e = readdir(d)) != NULL) {
        char path[300];
        FILE *f;
        int pid;

        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof(path), "/proc/self/task/%s/children", e->d_name);
        if (!(f = fopen(path, "re")))
            continue;
        while (fscanf(f, "%d", &pid) == 1) {
            char stat_path[64], buf[512], *p;
            FILE *s;
            size_t len;

            if (!zombies_only) {
                n++;
                continue;
            }
            snprintf(stat_path, sizeof(stat_path), "/proc/%d/stat", pid);
            if (!(s = fopen(stat_path, "re")))
                continue;
            len = fread(buf, 1, sizeof(buf) - 1, s);
            fclose(s);
            buf[len] = '\0';
            p = strrchr(buf, ')');
            n += p && p[1] == ' ' && p[2] == 'Z';
        }
        fclose(f);
    }
    closedir(d);
    return n;
}

int h_count_children(void)
{
    return count_kids(0);
}

int h_count_zombies(void)
{
    return count_kids(1);
}

int h_limit_new_tasks(int n)
{
    struct rlimit rl;
    int now = h_tasks_of_uid(getuid());

    if (geteuid() == 0)
        return -EPERM;
    if (now < 0)
        return now;
    if (getrlimit(RLIMIT_NPROC, &rl) != 0)
        return -errno;
    /* Only the soft limit moves, and only down: no privilege needed. */
    rl.rlim_cur = (rlim_t)(now + n);
    if (rl.rlim_max != RLIM_INFINITY && rl.rlim_cur > rl.rlim_max)
        rl.rlim_cur = rl.rlim_max;
    return setrlimit(RLIMIT_NPROC, &rl) == 0 ? 0 : -errno;
}
