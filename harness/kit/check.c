/* check.c: assertions with messages, and checks on time and CPU use (see check.h). */
#include "check.h"

#include <CUnit/CUnit.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "suite.h"

bool h_assert(bool ok, bool fatal, const char *file, int line, const char *fmt, ...)
{
    char msg[1024] = "";
    va_list ap;

    if (!ok) {
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
    }
    /* CUnit copies the message into its failure record; with fatal it longjmps from here. */
    CU_assertImplementation(ok ? CU_TRUE : CU_FALSE, (unsigned)line, msg, file, "",
                            fatal ? CU_TRUE : CU_FALSE);
    return ok;
}

bool h_assert_cmp(long long got, long long want, enum h_cmp op, bool fatal, const char *file,
                  int line, const char *expr)
{
    static const char *const words[] = { "", "anything but ", "at most ", "at least " };
    bool ok = op == H_CMP_EQ   ? got == want
              : op == H_CMP_NE ? got != want
              : op == H_CMP_LE ? got <= want
                               : got >= want;

    return h_assert(ok, fatal, file, line, "%s is %lld, want %s%lld", expr, got, words[op], want);
}

/* The errors the lessons' functions return, by name: what a learner greps for. */
static const struct {
    int err;
    const char *name;
} errnames[] = {
    { EPERM, "-EPERM" },         { ENOENT, "-ENOENT" },
    { EINTR, "-EINTR" },         { EIO, "-EIO" },
    { EBADF, "-EBADF" },         { ECHILD, "-ECHILD" },
    { EAGAIN, "-EAGAIN" },       { ENOMEM, "-ENOMEM" },
    { EBUSY, "-EBUSY" },         { EEXIST, "-EEXIST" },
    { EINVAL, "-EINVAL" },       { EMFILE, "-EMFILE" },
    { ENOSPC, "-ENOSPC" },       { EPIPE, "-EPIPE" },
    { ERANGE, "-ERANGE" },       { EDEADLK, "-EDEADLK" },
    { ENOSYS, "-ENOSYS" },       { ECANCELED, "-ECANCELED" },
    { ETIMEDOUT, "-ETIMEDOUT" }, { ECONNREFUSED, "-ECONNREFUSED" },
    { EPROTO, "-EPROTO" },       { ESHUTDOWN, "-ESHUTDOWN" },
    { EOVERFLOW, "-EOVERFLOW" }, { ENOTCONN, "-ENOTCONN" },
};

const char *h_errname(long rc)
{
    static _Thread_local char other[32];

    if (rc == 0)
        return "0";
    for (size_t i = 0; i < sizeof(errnames) / sizeof(*errnames); i++)
        if (rc == -errnames[i].err)
            return errnames[i].name;
    snprintf(other, sizeof(other), "%ld", rc);
    return other;
}

bool h_assert_rc(long rc, long want, bool fatal, const char *file, int line, const char *what)
{
    char got[64];

    if (rc < 0 && rc > -4096)
        snprintf(got, sizeof(got), "%s (%s)", h_errname(rc), strerror((int)-rc));
    else
        snprintf(got, sizeof(got), "%ld", rc);
    return h_assert(rc == want, fatal, file, line, "%s returned %s, want %s", what, got,
                    h_errname(want));
}

double h_best_time(double (*attempt)(void *arg), void *arg, double limit_s)
{
    double best = -1;

    for (int i = 0; i < H_TRIES; i++) {
        double took = attempt(arg);

        if (took < 0)
            return took;
        if (best < 0 || took < best)
            best = took;
        if (best <= limit_s)
            break;
    }
    return best;
}

bool h_assert_time(const char *what, double took_s, double ideal_s, double tolerance,
                   const char *file, int line)
{
    return h_assert(took_s <= ideal_s * tolerance, false, file, line,
                    "%s: took %.3f s (best of %d), ideal %.3f s (%.2fx), allowed %.2fx", what,
                    took_s, H_TRIES, ideal_s, ideal_s > 0 ? took_s / ideal_s : 0.0, tolerance);
}

void h_usage_start(struct h_usage *u)
{
    u->wall_ns = h_now_ns();
    u->cpu_ns = h_cpu_ns();
}

void h_usage_stop(struct h_usage *u)
{
    u->wall_ns = h_now_ns() - u->wall_ns;
    u->cpu_ns = h_cpu_ns() - u->cpu_ns;
}

double h_usage_ratio(const struct h_usage *u)
{
    return u->wall_ns > 0 ? (double)u->cpu_ns / (double)u->wall_ns : 0;
}

bool h_assert_asleep(const char *what, const struct h_usage *u, double max_ratio, const char *file,
                     int line)
{
    double ratio = h_usage_ratio(u);

    return h_assert(ratio <= max_ratio, false, file, line,
                    "%s: used %.3f s of CPU in %.3f s (%.0f%%), allowed %.0f%%: a wait that "
                    "spins instead of sleeping?",
                    what, h_ns_to_s(u->cpu_ns), h_ns_to_s(u->wall_ns), 100 * ratio,
                    100 * max_ratio);
}

bool h_assert_asleep_best(const char *what, int (*stretch)(void *arg, struct h_usage *u), void *arg,
                          double max_ratio, const char *file, int line)
{
    struct h_usage best = { 0 }, u;

    for (int i = 0; i < H_TRIES; i++) {
        u = (struct h_usage){ 0 };
        if (stretch(arg, &u) < 0)
            return false;
        if (i == 0 || h_usage_ratio(&u) < h_usage_ratio(&best))
            best = u;
        if (h_usage_ratio(&best) <= max_ratio)
            break;
    }
    return h_assert_asleep(what, &best, max_ratio, file, line);
}

static char skip_reason[512];

void h_skip(const char *why)
{
    snprintf(skip_reason, sizeof(skip_reason), "%s", why && why[0] ? why : "(no reason given)");
}

const char *h_skip_reason(void)
{
    return skip_reason[0] ? skip_reason : NULL;
}
