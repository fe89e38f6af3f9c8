/* isolate.c: run one test in a contained child process and judge how it ended (see isolate.h).
 *
 * The parent never trusts the child to say it passed: a pass needs the child's end-of-test
 * record, written after the test function returned, by the very process the runner forked.
 * A child that exits, crashes or hangs before that record cannot pass, whatever it printed.
 */
#define _GNU_SOURCE
#include "isolate.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "report.h"
#include "sweep.h"
#include "sysinfo.h"
#include "verdict.h"

/* A root runner's tests run as RUN_ID_BASE + (the runner's pid % RUN_IDS), user and group: an
 * id no real user has, and a different one for each runner, so that the process limits of runs
 * side by side (an instructor grading submissions in parallel) never count each other's
 * processes. Where those ids do not exist (a user namespace that maps only a few, as in rootless
 * containers), nobody (65534) serves instead. */
#define RUN_ID_BASE       2000000000u
#define RUN_IDS           1000000u
#define NOBODY            65534u
#define DEFAULT_MAX_TASKS 512          /* threads + processes a test may add before fork fails */
#define MEMORY_LIMIT      (8ULL << 30) /* address space per test (off under sanitizers) */
#define FILE_SIZE_LIMIT   (64ULL << 20)
#define TERM_GRACE_MS     300  /* between SIGTERM and SIGKILL when the watchdog fires */
#define SWEEP_MS          2000 /* how long to keep killing what a test left behind */
#define REAP_POLL_MS      10   /* without a pidfd (old kernels, valgrind): look this often */
#define RUNNABLE_LOOKS    5    /* looks at the threads' states when the watchdog fires */

void h_isolate_init(void)
{
    /* Without this, an orphaned grandchild of a test is adopted by init and escapes us. */
    if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0)
        perror("runner: PR_SET_CHILD_SUBREAPER");
}

static void set_limit(int resource, rlim_t value)
{
    struct rlimit rl = { .rlim_cur = value, .rlim_max = value };

    if (setrlimit(resource, &rl) != 0)
        fprintf(stderr, "runner: setrlimit(%d): %s\n", resource, strerror(errno));
}

/* Becomes an unprivileged user (see RUN_ID_BASE); returns its uid, or 0 if nothing worked. */
static uid_t drop_root(void)
{
    uid_t id = RUN_ID_BASE + (uid_t)getppid() % RUN_IDS;

    if (setgroups(0, NULL) != 0)
        return 0;
    if (setresgid(id, id, id) == 0 && setresuid(id, id, id) == 0)
        return id;
    if (setresgid(NOBODY, NOBODY, NOBODY) == 0 && setresuid(NOBODY, NOBODY, NOBODY) == 0)
        return NOBODY;
    return 0;
}

/* In the child: lower privileges if root, then set the limits. The order matters: RLIMIT_NPROC
 * is counted per real user, and root is exempt from it. */
static void contain(const struct h_limits *limits)
{
    uid_t uid = getuid();
    int budget = limits->max_tasks > 0 ? limits->max_tasks : DEFAULT_MAX_TASKS;
    int timeout_ms = limits->timeout_ms;
    int existing;

    if (uid == 0) {
        if ((uid = drop_root()) == 0) {
            perror("runner: cannot drop root privileges");
            _exit(125);
        }
        /* Changing uid makes the process undumpable, which makes /proc/self root's and stops
         * LeakSanitizer from inspecting its own threads. This process is ours; allow both. */
        prctl(PR_SET_DUMPABLE, 1);
    }
    existing = h_tasks_of_uid(uid);
    set_limit(RLIMIT_NPROC, (rlim_t)(existing > 0 ? existing : 1) + (rlim_t)budget);
    /* The watchdog ends a test on wall time; this is the backstop, generous by the cores. */
    set_limit(RLIMIT_CPU, (rlim_t)(timeout_ms / 1000 + 1) * (rlim_t)h_cpus() + 2);
    set_limit(RLIMIT_CORE, 0);
    set_limit(RLIMIT_FSIZE, FILE_SIZE_LIMIT);
    /* Sanitizers reserve terabytes of address space up front; a limit would stop them. */
    if (!limits->sanitized && !h_sanitized())
        set_limit(RLIMIT_AS, MEMORY_LIMIT);
}

/* No test reads the terminal: one that tried would wait forever, or steal keystrokes. */
static int stdin_from_null(void)
{
    int null = open("/dev/null", O_RDONLY);

    if (null < 0)
        return -errno;
    if (null != STDIN_FILENO) { /* open gives 0 itself when stdin was closed */
        if (dup2(null, STDIN_FILENO) < 0) {
            close(null);
            return -errno;
        }
        close(null);
    }
    return 0;
}

/* The test's process holds stdin, stdout, stderr and its report pipe at H_REPORT_FD, and
 * nothing else of the runner's: no results file, no other test's pipe, nothing to write a grade
 * into. Returns 0, or -1 if the descriptors could not be arranged. */
static int keep_only_stdio_and(int report_fd, int exec_fd)
{
    /* Copies above every target first: either descriptor may sit where the other must go. */
    int report = fcntl(report_fd, F_DUPFD_CLOEXEC, 10);
    int exec = exec_fd >= 0 ? fcntl(exec_fd, F_DUPFD_CLOEXEC, 10) : -1;
    int first_closed = exec_fd >= 0 ? H_EXEC_FD + 1 : H_REPORT_FD + 1;

    if (report < 0 || (exec_fd >= 0 && exec < 0))
        return -1;
    if (dup2(report, H_REPORT_FD) < 0) /* the copy dup2 makes is not close-on-exec */
        return -1;
    if (exec >= 0 && dup3(exec, H_EXEC_FD, O_CLOEXEC) < 0)
        return -1;
    if (close_range((unsigned)first_closed, ~0U, 0) != 0) { /* before Linux 5.9: one by one */
        long max = sysconf(_SC_OPEN_MAX);

        for (int fd = first_closed; fd < (max > 0 ? max : 65536); fd++)
            close(fd);
    }
    return 0;
}

static void start_child(const struct h_limits *limits, h_child_fn child, void *ctx, int report[2],
                        int out[2])
{
    sigset_t none;

    setpgid(0, 0);
    signal(SIGPIPE, SIG_DFL);
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    close(report[0]);
    close(out[0]);
    if (dup2(out[1], STDOUT_FILENO) < 0 || dup2(out[1], STDERR_FILENO) < 0)
        _exit(125);
    close(out[1]);
    if (stdin_from_null() < 0 || keep_only_stdio_and(report[1], limits->exec_fd) < 0)
        _exit(125);
    /* A pipe makes stdout fully buffered: a learner's printf would show up late, or never if
     * the test crashes. Line buffering keeps it in step. */
    setvbuf(stdout, NULL, _IOLBF, 0);
    contain(limits);
    child(ctx, H_REPORT_FD);
    _exit(0);
}

/* The end of a test's output, as a ring: the last H_OUTPUT_TAIL bytes after the head. */
struct tail {
    char ring[H_OUTPUT_TAIL];
    size_t at;    /* where the next byte goes */
    size_t total; /* bytes that went past the head */
};

static void keep_output(struct h_outcome *o, struct tail *t, const char *buf, size_t n)
{
    if (t->total == 0 && o->output_len < H_OUTPUT_HEAD) {
        size_t take = n < H_OUTPUT_HEAD - o->output_len ? n : H_OUTPUT_HEAD - o->output_len;

        memcpy(o->output + o->output_len, buf, take);
        o->output_len += take;
        buf += take;
        n -= take;
    }
    for (; n > 0; buf++, n--, t->total++) {
        t->ring[t->at] = *buf;
        t->at = (t->at + 1) % H_OUTPUT_TAIL;
    }
}

/* Head, then a line saying what was cut (if anything), then the tail, in order. */
static void finish_output(struct h_outcome *o, const struct tail *t)
{
    size_t kept = t->total < H_OUTPUT_TAIL ? t->total : H_OUTPUT_TAIL;
    size_t from = t->total < H_OUTPUT_TAIL ? 0 : t->at;

    if (t->total > H_OUTPUT_TAIL) {
        o->output_dropped = t->total - H_OUTPUT_TAIL;
        o->output_len +=
            (size_t)snprintf(o->output + o->output_len, 64,
                             "\n[... %zu bytes of output cut here ...]\n", o->output_dropped);
    }
    for (size_t i = 0; i < kept; i++)
        o->output[o->output_len++] = t->ring[(from + i) % H_OUTPUT_TAIL];
    o->output[o->output_len] = '\0';
}

/* Reads what is there from fd into buf. Returns the bytes read, 0 if nothing was there yet, or
 * -1 at end of file (or a read error, which ends the stream just the same). */
static ssize_t read_some(int fd, char *buf, size_t size)
{
    ssize_t n = read(fd, buf, size);

    if (n == 0)
        return -1;
    if (n < 0)
        return errno == EAGAIN || errno == EINTR ? 0 : -1;
    return n;
}

/* The report pipe: into the record buffer. Returns as read_some. */
static ssize_t pump_records(int fd, struct h_records *rec)
{
    char buf[8192];
    ssize_t n = read_some(fd, buf, sizeof(buf));

    if (n > 0)
        h_records_feed(rec, buf, (size_t)n);
    return n;
}

/* The output pipe: scanned for sanitizer reports, and kept. Returns as read_some. */
static ssize_t pump_output(int fd, struct h_outcome *o, struct tail *tail, struct h_scan *scan)
{
    char buf[8192];
    ssize_t n = read_some(fd, buf, sizeof(buf));

    if (n > 0) {
        h_scan_feed(scan, buf, (size_t)n);
        keep_output(o, tail, buf, (size_t)n);
    }
    return n;
}

static int make_pipe(int p[2])
{
    if (pipe2(p, O_CLOEXEC) != 0)
        return -errno;
    /* Only the parent's read end is non-blocking; the child writes normally. */
    return fcntl(p[0], F_SETFL, O_NONBLOCK) == 0 ? 0 : -errno;
}

struct watch {
    pid_t pid;
    int pidfd, report_fd, out_fd;
    int64_t deadline, term_at, kill_at;
    int64_t cpu_at_timeout; /* CPU time the child had used when the watchdog fired */
    int runnable_looks;     /* of RUNNABLE_LOOKS looks then, how many saw a thread running */
    int timed_out;
    int status;
};

/* Polls the child's pipes and the child itself until it has ended. */
static void watch_child(struct watch *w, struct h_records *rec, struct h_outcome *o,
                        struct tail *tail, struct h_scan *scan)
{
    for (;;) {
        struct pollfd fds[3] = {
            { .fd = w->pidfd, .events = POLLIN },
            { .fd = w->report_fd, .events = POLLIN },
            { .fd = w->out_fd, .events = POLLIN },
        };
        int64_t now = h_now_ns(), wake = w->timed_out ? w->kill_at : w->deadline;
        int ms = wake > now ? (int)h_ms_left(wake) : 0;

        if (w->pidfd < 0 && ms > REAP_POLL_MS)
            ms = REAP_POLL_MS;
        if (poll(fds, 3, ms) < 0 && errno != EINTR)
            break;
        if (fds[1].revents && pump_records(w->report_fd, rec) < 0)
            w->report_fd = -1;
        if (fds[2].revents && pump_output(w->out_fd, o, tail, scan) < 0)
            w->out_fd = -1;
        if (w->pidfd < 0 || (fds[0].revents & POLLIN)) {
            if (waitpid(w->pid, &w->status, w->pidfd < 0 ? WNOHANG : 0) == w->pid)
                return;
        }
        now = h_now_ns();
        if (!w->timed_out && now >= w->deadline) {
            w->timed_out = 1;
            w->cpu_at_timeout = h_proc_cpu_ns(w->pid);
            /* On a loaded machine a busy loop gets little CPU, but it is always runnable. */
            for (int i = 0; i < RUNNABLE_LOOKS; i++) {
                w->runnable_looks += h_proc_runnable_threads(w->pid) > 0;
                h_sleep_ms(2);
            }
            kill(-w->pid, SIGTERM);
            w->kill_at = now + TERM_GRACE_MS * H_NS_PER_MS;
        } else if (w->timed_out && now >= w->kill_at) {
            /* SIGKILL cannot be ignored; poll again until the child is gone. */
            kill(-w->pid, SIGKILL);
            w->kill_at = now + 100 * H_NS_PER_MS;
        }
    }
}

/* After the test: what is left in its group, or orphaned to us, is killed and reaped. The
 * runner has no other children by now, so it is done when waitpid says there are none left:
 * a process killed a moment ago is a zombie until reaped, and still has its name in /proc. */
static int sweep_leftovers(pid_t pgid)
{
    int64_t give_up = h_deadline_ms(SWEEP_MS);
    int first = h_sweep(pgid, 0);

    for (;;) {
        pid_t reaped;
        int found;

        while ((reaped = waitpid(-1, NULL, WNOHANG)) > 0)
            ;
        found = h_sweep(pgid, 0);
        if ((found <= 0 && reaped < 0 && errno == ECHILD) || h_now_ns() > give_up)
            break;
        h_sleep_ms(2);
    }
    return first > 0 ? first : 0;
}

int h_isolate(const struct h_limits *limits, h_child_fn child, void *ctx, struct h_outcome *o)
{
    int timeout_ms = limits->timeout_ms;
    static struct h_records rec; /* large: off the stack */
    static struct tail tail;
    struct h_scan scan;
    struct watch w = { 0 };
    int report[2], out[2], rc;
    int64_t start;

    memset(o, 0, sizeof(*o));
    h_records_init(&rec);
    tail.at = tail.total = 0;
    h_scan_init(&scan);
    if ((rc = make_pipe(report)) < 0)
        return rc;
    if ((rc = make_pipe(out)) < 0) {
        close(report[0]);
        close(report[1]);
        return rc;
    }
    fflush(NULL); /* or the child inherits, and prints again, what the runner buffered */
    start = h_now_ns();
    w.pid = fork();
    if (w.pid < 0) {
        rc = -errno;
        goto close_all;
    }
    if (w.pid == 0)
        start_child(limits, child, ctx, report, out);
    setpgid(w.pid, w.pid); /* also in the child: whichever runs first, the group exists */
    close(report[1]);
    close(out[1]);
    w.report_fd = report[0];
    w.out_fd = out[0];
    /* A pidfd makes the child's end an event poll can wait for. Valgrind does not know the
     * call (and says so at every test), and old kernels lack it: then we look every 10 ms. */
    w.pidfd = h_under_valgrind() ? -1 : (int)syscall(SYS_pidfd_open, w.pid, 0);
    w.deadline = start + (int64_t)timeout_ms * H_NS_PER_MS;
    watch_child(&w, &rec, o, &tail, &scan);
    o->elapsed_s = h_ns_to_s(h_now_ns() - start);
    /* The child is gone; what it wrote is in the pipes. Orphans may hold the pipes open, so
     * read what is there without waiting for end of file. */
    while (pump_records(report[0], &rec) > 0)
        ;
    o->leftovers = sweep_leftovers(w.pid);
    while (pump_output(out[0], o, &tail, &scan) > 0)
        ;
    finish_output(o, &tail);
    h_judge(o, &rec, &scan, w.pid, w.status, w.timed_out, timeout_ms, w.cpu_at_timeout,
            w.runnable_looks * 2 > RUNNABLE_LOOKS);
    if (w.pidfd >= 0)
        close(w.pidfd);
    close(report[0]);
    close(out[0]);
    return 0;
close_all:
    close(report[0]);
    close(report[1]);
    close(out[0]);
    close(out[1]);
    return rc;
}
