/* server.c: the per-test latencyd fixture (see server.h): a forked child runs the server loop,
 * and a tiny plain-socket HTTP client reads its stats.
 *
 * The client side (ld_client.c) is deliberately not libcurl: the lessons test their own use of
 * libcurl, and a fixture that shared it (its global state, its connection cache) could hide
 * their mistakes.
 */
#define _GNU_SOURCE
#include "server.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "ld_client.h"
#include "ld_server.h"
#include "proc.h"

#define START_TIMEOUT_MS 5000 /* for the child to report its port */
#define STOP_GRACE_MS    3000 /* between SIGTERM and SIGKILL in h_server_stop */

/* Defined only when LeakSanitizer is linked in (ASan builds). */
extern void __lsan_do_leak_check(void) __attribute__((weak));

static struct ld_server *child_server; /* the child's only server, for its SIGTERM handler */

static void child_on_term(int sig)
{
    (void)sig;
    ld_server_stop(child_server);
}

/* In the child: serve until SIGTERM. Reports the port (or -errno) as an int on report_fd. */
__attribute__((noreturn)) static void run_child(int report_fd, pid_t parent,
                                                const struct h_server_config *config)
{
    struct ld_config c = { .port = 0 };
    struct sigaction sa = { .sa_handler = child_on_term };
    sigset_t term;
    int rc, msg;

    /* Die with the test, whatever happens to it; and hold none of its descriptors (a socket the
     * test closes must really close, not live on in here). */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
        _exit(1);
    if (dup2(report_fd, 3) != 3)
        _exit(1);
    if (close_range(4, ~0U, 0) != 0) /* before Linux 5.9: one at a time */
        for (int fd = 4; fd < 65536; fd++)
            close(fd);
    report_fd = 3;
    if (config) {
        c.max_connections = config->max_connections;
        c.header_timeout_ms = config->header_timeout_ms;
    }
    sigemptyset(&sa.sa_mask);
    sigemptyset(&term);
    sigaddset(&term, SIGTERM);
    ld_raise_nofile();
    rc = ld_server_create(&child_server, &c);
    if (rc == 0 &&
        (sigaction(SIGTERM, &sa, NULL) != 0 || sigprocmask(SIG_UNBLOCK, &term, NULL) != 0))
        rc = -errno;
    msg = rc == 0 ? ld_server_port(child_server) : rc;
    if (write(report_fd, &msg, sizeof(msg)) != (ssize_t)sizeof(msg) || rc != 0)
        _exit(1);
    close(report_fd);
    rc = ld_server_run(child_server);
    ld_server_destroy(child_server);
    child_server = NULL;
    /* _exit, not exit: the test's atexit handlers and stdio buffers are not ours to run. Under
     * AddressSanitizer that also skips its leak check, so ask for it: a leak fails the stop. */
    if (__lsan_do_leak_check)
        __lsan_do_leak_check();
    _exit(rc == 0 ? 0 : 1);
}

/* Reads the child's report: its port, or a negative errno. */
static int read_port(int fd)
{
    struct pollfd p = { .fd = fd, .events = POLLIN };
    int msg, rc;

    while ((rc = poll(&p, 1, START_TIMEOUT_MS)) < 0 && errno == EINTR)
        ;
    if (rc == 0)
        return -ETIMEDOUT;
    if (rc < 0)
        return -errno;
    if (read(fd, &msg, sizeof(msg)) != (ssize_t)sizeof(msg))
        return -ECHILD; /* it died before it could listen */
    return msg;
}

/* Waits up to ms for pid to end; 1 with *status set, 0 if it still runs, or a negative errno. */
static int wait_for_exit(pid_t pid, int ms, int *status)
{
    /* Valgrind does not know pidfd_open and warns about it on every call: do not ask there. */
    int pidfd = h_under_valgrind() ? -1 : (int)syscall(SYS_pidfd_open, pid, 0);
    struct pollfd p = { .fd = pidfd, .events = POLLIN };
    int64_t deadline = h_deadline_ms(ms);
    int rc;

    if (pidfd < 0) { /* an old kernel, or valgrind: look every few milliseconds instead */
        while ((rc = waitpid(pid, status, WNOHANG)) == 0 && h_now_ns() < deadline)
            h_sleep_ms(5);
        return rc == pid ? 1 : rc == 0 ? 0 : -errno;
    }
    while ((rc = poll(&p, 1, ms)) < 0 && errno == EINTR)
        ;
    close(pidfd);
    if (rc <= 0)
        return rc == 0 ? 0 : -errno;
    return waitpid(pid, status, 0) == pid ? 1 : -errno;
}

int h_server_start(struct h_server *s, const struct h_server_config *config)
{
    pid_t parent = getpid(), pid;
    int p[2], port, status;

    s->pid = 0;
    s->port = 0;
    if (pipe2(p, O_CLOEXEC) != 0)
        return -errno;
    fflush(stdout); /* or the child would hold a copy of what is buffered */
    if ((pid = fork()) < 0) {
        int err = -errno;

        close(p[0]);
        close(p[1]);
        return err;
    }
    if (pid == 0)
        run_child(p[1], parent, config);
    close(p[1]);
    port = read_port(p[0]);
    close(p[0]);
    if (port <= 0) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        return port < 0 ? port : -EPROTO;
    }
    s->pid = pid;
    s->port = port;
    return 0;
}

int h_server_stop(struct h_server *s)
{
    int status = 0, rc;

    if (s->pid <= 0)
        return -ESRCH;
    if (kill(s->pid, SIGTERM) != 0)
        return -errno;
    /* Sanitizers make the shutdown slower; the grace only matters to a server that hangs. */
    rc = wait_for_exit(s->pid, STOP_GRACE_MS * (h_sanitized() ? 3 : 1), &status);
    if (rc == 0) {
        kill(s->pid, SIGKILL);
        waitpid(s->pid, &status, 0);
        rc = -ETIMEDOUT;
    } else if (rc > 0) {
        rc = WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -ECHILD;
    }
    s->pid = 0;
    return rc;
}

char *h_server_url(const struct h_server *s, char *buf, size_t size, const char *path_fmt, ...)
{
    int n = snprintf(buf, size, "http://127.0.0.1:%d", s->port);
    va_list ap;

    if (n >= 0 && (size_t)n < size) {
        va_start(ap, path_fmt);
        vsnprintf(buf + n, size - (size_t)n, path_fmt, ap);
        va_end(ap);
    }
    return buf;
}

int h_server_get(const struct h_server *s, const char *path, char *body, size_t size)
{
    struct ld_response r = { .body = body, .body_cap = size };

    return ld_client_get(s->port, path, &r);
}

/* The number after "name": in a flat JSON object; -EPROTO if it is not there. */
static int json_long(const char *json, const char *name, long *out)
{
    char key[64];
    const char *at;
    char *end;

    snprintf(key, sizeof(key), "\"%s\":", name);
    if (!(at = strstr(json, key)))
        return -EPROTO;
    *out = strtol(at + strlen(key), &end, 10);
    return end == at + strlen(key) ? -EPROTO : 0;
}

int h_server_stats(const struct h_server *s, struct h_server_stats *st)
{
    char body[512];
    int rc = h_server_get(s, "/stats", body, sizeof(body));

    if (rc < 0)
        return rc;
    if (rc != 200)
        return -EPROTO;
    if ((rc = json_long(body, "requests", &st->requests)) < 0 ||
        (rc = json_long(body, "connections", &st->connections)) < 0 ||
        (rc = json_long(body, "in_flight", &st->in_flight)) < 0 ||
        (rc = json_long(body, "peak_in_flight", &st->peak_in_flight)) < 0 ||
        (rc = json_long(body, "refused", &st->refused)) < 0 ||
        (rc = json_long(body, "header_timeouts", &st->timeouts)) < 0)
        return rc;
    return 0;
}

int h_server_reset_stats(const struct h_server *s)
{
    int rc = h_server_get(s, "/stats/reset", NULL, 0);

    return rc == 200 ? 0 : rc < 0 ? rc : -EPROTO;
}
