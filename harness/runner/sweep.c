/* sweep.c: find, count and kill processes through /proc (see sweep.h). */
#define _GNU_SOURCE
#include "sweep.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The fields of /proc/PID/stat this file needs. */
struct stat_line {
    char state;
    pid_t ppid;
    pid_t pgrp;
    unsigned long long utime, stime; /* clock ticks */
};

static int read_stat(pid_t pid, struct stat_line *st)
{
    char path[64], buf[1024];
    FILE *f;
    size_t n;
    const char *p;

    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    f = fopen(path, "re");
    if (!f)
        return -errno;
    n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    /* The command name, field 2, is in parentheses and may itself hold spaces and ')': the
     * fields we want start after the last ')'. */
    p = strrchr(buf, ')');
    if (!p)
        return -EINVAL;
    if (sscanf(p + 1, " %c %d %d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &st->state, &st->ppid,
               &st->pgrp, &st->utime, &st->stime) != 5)
        return -EINVAL;
    return 0;
}

/* Calls fn(pid, ctx) for every process in /proc; returns 0 or a negative errno. */
static int each_pid(void (*fn)(pid_t pid, void *ctx), void *ctx)
{
    DIR *d = opendir("/proc");
    struct dirent *e;

    if (!d)
        return -errno;
    while ((e = readdir(d)) != NULL) {
        if (isdigit((unsigned char)e->d_name[0]))
            fn((pid_t)atoi(e->d_name), ctx);
    }
    closedir(d);
    return 0;
}

struct sweep_ctx {
    pid_t pgid, except, self;
    int found;
};

static void sweep_one(pid_t pid, void *ctx)
{
    struct sweep_ctx *c = ctx;
    struct stat_line st;

    if (pid == c->except || pid == c->self || read_stat(pid, &st) != 0 || st.state == 'Z')
        return;
    if (st.pgrp == c->pgid || st.ppid == c->self) {
        c->found++;
        kill(pid, SIGKILL);
    }
}

int h_sweep(pid_t pgid, pid_t except)
{
    struct sweep_ctx c = { .pgid = pgid, .except = except, .self = getpid() };
    int rc = each_pid(sweep_one, &c);

    return rc < 0 ? rc : c.found;
}
