/* test_pools_process.c: lesson 05's tests of the process pool, ppool (read-only: the grader uses
 * its own copy). Its speedup tests are in test_pools_speedup.c.
 */
#define _GNU_SOURCE /* MAP_ANONYMOUS */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include "check.h"
#include "clock.h"
#include "pools.h"
#include "proc.h"
#include "test_pools.h"
#include "trace.h"
#include "workload.h"

#define CRASH_ABORT 13 /* items that kill their worker in ppool_crash_fails_only_that_item */
#define CRASH_KILL  150

/* The pool has exactly `want` worker processes, and none of them is a zombie. */
static void check_workers(int want)
{
    H_ASSERT(h_count_children() == want, "the pool has %d child processes, want %d workers",
             h_count_children(), want);
    H_ASSERT(h_count_zombies() == 0, "%d dead workers were never reaped (zombies)",
             h_count_zombies());
}

static long pid_item(long x)
{
    (void)x;
    return (long)getpid();
}

/* Counts, across processes, the runs of an atexit handler registered by the test process. A
 * worker must leave with _exit: exit would run the caller's handlers (and flush copies of its
 * stdio buffers) in every worker. Shared memory, never unmapped: the handler runs at the very
 * end of the test process too. */
static _Atomic int *exits_in_workers;
static pid_t test_pid;

static void note_exit(void)
{
    if (getpid() != test_pid)
        atomic_fetch_add(exits_in_workers, 1);
}

void ppool_map_in_order(void)
{
    struct ppool *p;
    int wrong = 0;

    exits_in_workers = mmap(NULL, sizeof(*exits_in_workers), PROT_READ | PROT_WRITE,
                            MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    H_ASSERT_FATAL(exits_in_workers != MAP_FAILED, "mmap: %s", strerror(errno));
    test_pid = getpid();
    H_ASSERT_RC_FATAL(atexit(note_exit), 0);
    H_ASSERT_RC_FATAL(ppool_create(&p, 3), 0);
    H_ASSERT_RC(ppool_create(&(struct ppool *){ NULL }, 0), -EINVAL);
    reset_items(1000);
    H_ASSERT_RC(ppool_map(p, uneven_item, in, out, status, 1000), 0);
    check_answers(1000, 1);
    check_each_ran_once(1000);
    H_ASSERT_RC(ppool_map(p, uneven_item, NULL, NULL, NULL, 0), 0);
    H_ASSERT_RC(ppool_map(p, NULL, in, out, status, 1), -EINVAL);
    reset_items(30);
    H_ASSERT_RC(ppool_map(p, pid_item, in, out, status, 30), 0);
    for (int i = 0; i < 30; i++)
        wrong += out[i] == (long)getpid() || status[i] != 0;
    H_ASSERT(wrong == 0, "%d of 30 items ran in the calling process, want every one in a worker",
             wrong);
    ppool_destroy(p);
    check_no_children();
    H_ASSERT(atomic_load(exits_in_workers) == 0,
             "%d workers ran the caller's atexit handlers: a worker must end with _exit, not "
             "exit or a return from main",
             atomic_load(exits_in_workers));
}

void ppool_never_more_workers(void)
{
    int threads = h_count_threads(), fds = h_count_fds(), in_caller = 0, rc;
    struct ppool *p;

    H_ASSERT_RC_FATAL(ppool_create(&p, 3), 0);
    check_workers(3);
    reset_items(300);
    H_ASSERT_RC(ppool_map(p, sleep_1ms_item, in, out, status, 300), 0);
    check_answers(300, 1);
    memset(out, GARBAGE, sizeof(out)); /* the trace keeps both maps' spans */
    H_ASSERT_RC(ppool_map(p, sleep_1ms_item, in, out, status, 300), 0);
    check_answers(300, 1);
    H_ASSERT(h_trace_pids(trace) <= 3,
             "two maps of 300 items ran in %d processes, want at most the 3 workers (a fork "
             "per item, or per map?)",
             h_trace_pids(trace));
    for (size_t i = 0; i < h_trace_count(trace); i++)
        in_caller += trace->spans[i].pid == getpid();
    H_ASSERT(in_caller == 0, "%d items ran in the calling process, want none", in_caller);
    check_workers(3);
    ppool_destroy(p);
    check_no_children();
    check_threads_back(threads);
    H_ASSERT_EQ(h_count_fds(), fds);
    /* A create that cannot fork every worker leaves none behind. */
    if ((rc = h_limit_new_tasks(2)) == -EPERM) {
        puts("skipped the fork-failure check: running as root, where the limit does not apply");
        return;
    }
    H_ASSERT_RC_FATAL(rc, 0);
    H_ASSERT_RC(ppool_create(&p, 4), -EAGAIN);
    check_no_children();
    H_ASSERT_EQ(h_count_fds(), fds);
}

/* Kills its worker for two inputs: abort(), and a segmentation fault. */
static long crash_item(long x)
{
    int span = h_trace_begin(trace, (int)x);

    if (x == CRASH_ABORT)
        abort();
    if (x == CRASH_KILL) {
        signal(SIGSEGV, SIG_DFL); /* a sanitizer's handler would report it as a bug */
        raise(SIGSEGV);
    }
    h_trace_end(trace, span);
    return answer(x);
}

void ppool_crash_fails_only_that_item(void)
{
    struct ppool *p;

    H_ASSERT_RC_FATAL(ppool_create(&p, 3), 0);
    reset_items(200);
    H_ASSERT_RC(ppool_map(p, crash_item, in, out, status, 200), -ECHILD);
    for (int i = 0; i < 200; i++) {
        int crashes = i == CRASH_ABORT || i == CRASH_KILL;

        if (crashes && !H_ASSERT(status[i] == -ECHILD,
                                 "item %d crashed its worker: status is "
                                 "%s, want -ECHILD",
                                 i, h_errname(status[i])))
            break;
        if (!crashes && !H_ASSERT(status[i] == 0 && out[i] == answer(i),
                                  "item %d: out %ld, status %s; want %ld, 0: only the items that "
                                  "crashed may fail",
                                  i, out[i], h_errname(status[i]), answer(i)))
            break;
    }
    check_each_ran_once(200);
    check_workers(3); /* the two dead workers were reaped and replaced */
    reset_items(4);
    for (int i = 0; i < 4; i++)
        in[i] = CRASH_ABORT;
    H_ASSERT_RC(ppool_map(p, crash_item, in, out, status, 4), -ECHILD);
    for (int i = 0; i < 4; i++)
        H_ASSERT(status[i] == -ECHILD, "status[%d] is %s, want -ECHILD", i, h_errname(status[i]));
    reset_items(100);
    H_ASSERT_RC(ppool_map(p, uneven_item, in, out, status, 100), 0);
    check_answers(100, 1);
    check_workers(3);
    ppool_destroy(p);
    check_no_children();
}

/* Whether process pid has closed its descriptors: reaped, or a zombie with no thread left
 * (a zombie's other threads, such as a sanitizer's, may still hold its pipes open). */
static int is_gone(pid_t pid)
{
    char path[64];
    int threads = 0;
    DIR *d;

    snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
    if (!(d = opendir(path)))
        return 1;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        char stat[600];
        FILE *f;

        if (e->d_name[0] == '.')
            continue;
        snprintf(stat, sizeof(stat), "%s/%s/stat", path, e->d_name);
        if ((f = fopen(stat, "re")) != NULL) {
            size_t len = fread(stat, 1, sizeof(stat) - 1, f);
            char *paren;

            stat[len] = '\0';
            paren = strrchr(stat, ')');
            threads += !paren || (paren[2] != 'Z' && paren[2] != 'X');
            fclose(f);
        }
    }
    closedir(d);
    return threads == 0;
}

/* ---- signals: SIGPIPE is the pool's business, on the calling thread only ---- */

/* A thread that looks at SIGPIPE's disposition every millisecond while a map runs. */
static atomic_bool watching;
static atomic_int disposition_changes;

static void *disposition_watcher(void *arg)
{
    (void)arg;
    while (atomic_load(&watching)) {
        struct sigaction sa;

        if (sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler != SIG_DFL)
            atomic_fetch_add(&disposition_changes, 1);
        h_sleep_ms(1);
    }
    return NULL;
}

/* The signals blocked on the calling thread, as a bit set (1 to 63). */
static unsigned long long blocked_signals(void)
{
    unsigned long long bits = 0;
    sigset_t set;

    pthread_sigmask(SIG_BLOCK, NULL, &set);
    for (int sig = 1; sig < 64; sig++)
        if (sigismember(&set, sig) == 1)
            bits |= 1ULL << sig;
    return bits;
}

/* ppool_map with SIGPIPE watched: its disposition must stay the default all through (another
 * thread looks), and the calling thread's signal mask must be as it was afterwards. */
static int watched_map(struct ppool *p, long (*fn)(long), size_t n)
{
    unsigned long long mask = blocked_signals();
    struct sigaction sa;
    pthread_t watcher;
    int rc;

    atomic_store(&disposition_changes, 0);
    atomic_store(&watching, true);
    H_ASSERT_RC_FATAL(pthread_create(&watcher, NULL, disposition_watcher, NULL), 0);
    rc = ppool_map(p, fn, in, out, status, n);
    atomic_store(&watching, false);
    pthread_join(watcher, NULL);
    H_ASSERT(atomic_load(&disposition_changes) == 0 && sigaction(SIGPIPE, NULL, &sa) == 0 &&
                 sa.sa_handler == SIG_DFL,
             "SIGPIPE's disposition was changed during ppool_map (seen %d times): that is the "
             "whole process's, every thread's; block SIGPIPE on the calling thread instead "
             "(pthread_sigmask) and discard one left pending",
             atomic_load(&disposition_changes));
    H_ASSERT(blocked_signals() == mask,
             "the calling thread's blocked signals were %#llx before ppool_map and %#llx after: "
             "put the signal mask back as it was",
             mask, blocked_signals());
    return rc;
}

/* A worker killed while it waits for work: the next map must go on without it, and must not
 * die of SIGPIPE writing to its pipe, nor change how the process handles SIGPIPE. */
void ppool_replaces_killed_worker(void)
{
    int64_t deadline;
    struct ppool *p;
    pid_t victim;

    H_ASSERT_FATAL(signal(SIGPIPE, SIG_DFL) != SIG_ERR, "signal: %s", strerror(errno));
    H_ASSERT_RC_FATAL(ppool_create(&p, 3), 0);
    reset_items(30);
    H_ASSERT_RC_FATAL(watched_map(p, sleep_1ms_item, 30), 0);
    victim = trace->spans[0].pid;
    /* kill returns -1 and sets errno: say that errno, not what -1 would mean as a result. */
    H_ASSERT_FATAL(kill(victim, SIGKILL) == 0, "kill(worker %d, SIGKILL) failed: %s", (int)victim,
                   strerror(errno));
    deadline = h_deadline_ms(2000);
    while (!is_gone(victim) && h_ms_left(deadline) > 0)
        h_sleep_ms(1);
    reset_items(300);
    H_ASSERT_RC(watched_map(p, sleep_1ms_item, 300), 0);
    check_answers(300, 1);
    check_each_ran_once(300);
    for (size_t i = 0; i < h_trace_count(trace); i++)
        if (!H_ASSERT(trace->spans[i].pid != victim, "an item ran in the killed worker"))
            break;
    check_workers(3);
    ppool_destroy(p);
    check_no_children();
}

/* ---- descriptors: what the pool opens stays in the pool ---- */

static unsigned char fd_before[4096]; /* fds open before the pool was created */

/* Calls each(fd) for every open fd but the directory's own; returns how many. */
static int scan_fds(void (*each)(int fd, int *acc), int *acc)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    int n = 0;

    if (!d)
        return -errno;
    while ((e = readdir(d)) != NULL) {
        int fd = atoi(e->d_name);

        if (e->d_name[0] == '.' || fd == dirfd(d))
            continue;
        each(fd, acc);
        n++;
    }
    closedir(d);
    return n;
}

static void mark_before(int fd, int *acc)
{
    (void)acc;
    if (fd < (int)sizeof(fd_before))
        fd_before[fd] = 1;
}

/* Counts the fds opened since mark_before (acc[0]), and those of them that are not
 * close-on-exec (acc[1]). */
static void count_new(int fd, int *acc)
{
    struct rlimit limit;

    if (fd < (int)sizeof(fd_before) && fd_before[fd])
        return;
    /* At or above the limit: not the program's (valgrind keeps its own descriptors there). */
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && (rlim_t)fd >= limit.rlim_cur)
        return;
    acc[0]++;
    acc[1] += !(fcntl(fd, F_GETFD) & FD_CLOEXEC);
}

/* Runs in a worker: 1000 x (the pool's fds it holds) + (those not close-on-exec). */
static long fd_item(long x)
{
    int acc[2] = { 0, 0 };

    h_io_work(trace, (int)x, 2);
    if (scan_fds(count_new, acc) < 0)
        return -1;
    return 1000L * acc[0] + acc[1];
}

void ppool_no_fd_leaks(void)
{
    int fds = h_count_fds(), acc[2] = { 0, 0 };
    struct ppool *p;

    H_ASSERT_FATAL(scan_fds(mark_before, NULL) >= 0, "cannot read /proc/self/fd");
    H_ASSERT_RC_FATAL(ppool_create(&p, 4), 0);
    scan_fds(count_new, acc);
    H_ASSERT(acc[1] == 0, "%d of the pool's %d descriptors in the parent are not close-on-exec",
             acc[1], acc[0]);
    reset_items(64);
    H_ASSERT_RC(ppool_map(p, fd_item, in, out, status, 64), 0);
    for (int i = 0; i < 64; i++) {
        if (!H_ASSERT(status[i] == 0 && out[i] >= 0,
                      "item %d: status %s, out %ld, want status 0 and the worker's count of its "
                      "descriptors",
                      i, h_errname(status[i]), out[i]))
            break;
        if (!H_ASSERT(out[i] / 1000 <= 2,
                      "a worker holds %ld of the pool's descriptors, want its own 2: close the "
                      "other workers' pipes, and the parent's ends of its own",
                      out[i] / 1000))
            break;
        if (!H_ASSERT(out[i] % 1000 == 0,
                      "a worker holds %ld pool descriptors that are not close-on-exec",
                      out[i] % 1000))
            break;
    }
    ppool_destroy(p);
    check_no_children();
    H_ASSERT(h_count_fds() == fds, "%d descriptors more after ppool_destroy than before create",
             h_count_fds() - fds);
}
