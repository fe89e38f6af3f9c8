/* sysinfo.c: facts about this process, the machine and the build (see sysinfo.h). */
#define _GNU_SOURCE
#include "sysinfo.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int h_cpus(void)
{
    cpu_set_t set;

    if (sched_getaffinity(0, sizeof(set), &set) != 0)
        return 1;
    return CPU_COUNT(&set) > 0 ? CPU_COUNT(&set) : 1;
}

/* Valgrind runs the program on a synthetic CPU, one thread at a time, and announces itself
 * through the preloaded library it injects. */
bool h_under_valgrind(void)
{
    const char *preload = getenv("LD_PRELOAD");

    return preload && strstr(preload, "vgpreload");
}

static bool slow_mode;

void h_set_slow_mode(bool slow)
{
    slow_mode = slow;
}

bool h_sanitized(void)
{
    if (slow_mode)
        return true;
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
    return true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
    return true;
#else
    return h_under_valgrind();
#endif
#else
    return h_under_valgrind();
#endif
}

/* Threads of process pid owned by real user uid, from /proc/PID/status; 0 for another user's. */
static int tasks_if_uid(const char *pid, uid_t uid)
{
    char path[64], line[256];
    unsigned owner = 0;
    int threads = 0, have_uid = 0;
    FILE *f;

    snprintf(path, sizeof(path), "/proc/%s/status", pid);
    if (!(f = fopen(path, "re")))
        return 0; /* it ended meanwhile */
    while (fgets(line, sizeof(line), f)) {
        if (sscanf(line, "Uid: %u", &owner) == 1)
            have_uid = 1;
        else if (sscanf(line, "Threads: %d", &threads) == 1)
            break;
    }
    fclose(f);
    return have_uid && owner == uid ? (threads > 0 ? threads : 1) : 0;
}

int h_tasks_of_uid(uid_t uid)
{
    DIR *d = opendir("/proc");
    struct dirent *e;
    int tasks = 0;

    if (!d)
        return -errno;
    while ((e = readdir(d)) != NULL)
        if (isdigit((unsigned char)e->d_name[0]))
            tasks += tasks_if_uid(e->d_name, uid);
    closedir(d);
    return tasks;
}

/* The state letter of a /proc/.../stat file, or 0. */
static char state_of(const char *path)
{
    char buf[512];
    const char *p;
    size_t n;
    FILE *f = fopen(path, "re");

    if (!f)
        return 0;
    n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    p = strrchr(buf, ')'); /* the name may hold spaces and parentheses: skip to the last */
    return p && p[1] == ' ' ? p[2] : 0;
}

int h_proc_runnable_threads(pid_t pid)
{
    char path[96];
    struct dirent *e;
    DIR *d;
    int running = 0;

    snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
    if (!(d = opendir(path)))
        return -errno;
    while ((e = readdir(d)) != NULL) {
        if (!isdigit((unsigned char)e->d_name[0]))
            continue;
        snprintf(path, sizeof(path), "/proc/%d/task/%.16s/stat", (int)pid, e->d_name);
        running += state_of(path) == 'R';
    }
    closedir(d);
    return running;
}

int64_t h_proc_cpu_ns(pid_t pid)
{
    char path[64], buf[1024];
    unsigned long long utime, stime;
    long hz = sysconf(_SC_CLK_TCK);
    const char *p;
    size_t n;
    FILE *f;

    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    if (hz <= 0 || !(f = fopen(path, "re")))
        return -1;
    n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    /* The command name may hold spaces and ')': the fields start after the last ')'. utime and
     * stime are fields 14 and 15, the 12th and 13th after it. */
    if (!(p = strrchr(buf, ')')) ||
        sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime, &stime) !=
            2)
        return -1;
    return (int64_t)((utime + stime) * (1000000000ULL / (unsigned long long)hz));
}
