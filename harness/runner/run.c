/* run.c: listing a binary's tests and running one of them in a process of its own (run.h). */
#define _GNU_SOURCE
#include "run.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report.h"
#include "verdict.h"
#include "tsv.h"

#define LIST_TIMEOUT_MS 10000 /* for a binary to list its tests */

extern char **environ;

static const char *expect_text_of(const struct h_test *t)
{
    return t->expect_text ? t->expect_text : "";
}

void h_list_write(FILE *f, const struct h_test *tests)
{
    for (const struct h_test *t = tests; t->fn; t++)
        fprintf(f, "%s\t%d\t%d\t%d\t%s\t%s\n", t->name, t->points, t->timeout_ms, t->max_tasks,
                h_verdict_name(t->expect), expect_text_of(t));
}

/* One manifest line, from p up to its newline, into *l. Returns 0 or -EINVAL. */
static int parse_line(const char *p, const char *eol, struct h_listed *l)
{
    char verdict[16];
    int used = 0;

    memset(l, 0, sizeof(*l));
    if (sscanf(p, "%127[^\t\n]\t%d\t%d\t%d\t%15[A-Z]\t%n", l->name, &l->points, &l->timeout_ms,
               &l->max_tasks, verdict, &used) != 5 ||
        used == 0 || p + used > eol + 1 || h_verdict_parse(verdict) < 0)
        return -EINVAL;
    l->expect = (enum h_verdict)h_verdict_parse(verdict);
    if (p + used <= eol)
        snprintf(l->expect_text, sizeof(l->expect_text), "%.*s", (int)(eol - (p + used)), p + used);
    return 0;
}

int h_list_parse(const char *text, struct h_listed **out)
{
    size_t lines = 0;
    struct h_listed *list;
    int n = 0;

    for (const char *p = text; *p; p++)
        lines += *p == '\n';
    if (!(list = calloc(lines + 1, sizeof(*list))))
        return -ENOMEM;
    for (const char *p = text; *p;) {
        const char *eol = strchr(p, '\n');

        if (!eol || parse_line(p, eol, &list[n]) != 0) {
            free(list);
            return -EINVAL;
        }
        n++;
        p = eol + 1;
    }
    *out = list;
    return n;
}

int h_target_open(struct h_target *t, const char *path)
{
    snprintf(t->bin_path, sizeof(t->bin_path), "%s", path);
    t->bin_fd = open(path, O_RDONLY | O_CLOEXEC);
    if (t->bin_fd < 0)
        return -errno;
    return 0;
}

void h_target_close(struct h_target *t)
{
    if (t->bin_fd >= 0)
        close(t->bin_fd);
    t->bin_fd = -1;
}

int h_limit_of(const struct h_target *t, const struct h_listed *test)
{
    double ms = test->timeout_ms > 0 ? test->timeout_ms : H_DEFAULT_TIMEOUT_MS;
    const char *scale = getenv("H_TIMEOUT_SCALE");

    if (scale && atof(scale) > 0)
        ms *= atof(scale);
    /* The chaos scheduler's delays at every lock and wait cost time in proportion to how often a
     * test synchronises: a run under it gets the time a sanitizer's build gets (chaos.h). */
    if (t->seed)
        ms *= H_CHAOS_SLOW;
    return (int)(ms * (t->slow > 0 ? t->slow : 1));
}

/* What a contained child execs: the target with these arguments. */
struct exec_ctx {
    const struct h_target *target;
    const char *args[6]; /* after the program's name; NULL-terminated */
};

/* In the contained child: becomes the test binary. The binary is started from the descriptor
 * the runner opened (H_EXEC_FD, close-on-exec), so no path lookup as the unprivileged user is
 * needed; under a wrapper it is started by path. If it cannot be, the test fails saying why. */
static void exec_child(void *arg, int report_fd)
{
    const struct exec_ctx *x = arg;
    const struct h_target *t = x->target;
    char *argv[40], copy[1024], msg[600];
    int argc = 0;

    if (t->wrapper) {
        snprintf(copy, sizeof(copy), "%s", t->wrapper);
        for (char *w = strtok(copy, " "); w && argc < 30; w = strtok(NULL, " "))
            argv[argc++] = w;
    }
    argv[argc++] = (char *)t->bin_path;
    for (int i = 0; x->args[i]; i++)
        argv[argc++] = (char *)x->args[i];
    argv[argc] = NULL;
    if (t->wrapper)
        execvp(argv[0], argv);
    else
        fexecve(H_EXEC_FD, argv, environ);
    snprintf(msg, sizeof(msg), "the runner could not start %s: %s", argv[0], strerror(errno));
    h_report_failure(report_fd, "runner", 0, msg);
    h_report_end(report_fd);
    _exit(0);
}

static struct h_limits limits_for(const struct h_target *t, const struct h_listed *test)
{
    return (struct h_limits){
        .timeout_ms = h_limit_of(t, test),
        .max_tasks = test->max_tasks,
        .sanitized = t->sanitized,
        .exec_fd = t->wrapper ? -1 : t->bin_fd,
    };
}

int h_list_of(const struct h_target *t, struct h_listed **out, char *why, size_t why_size)
{
    static struct h_outcome o; /* large: keep it off the stack */
    struct h_listed as = { .timeout_ms = LIST_TIMEOUT_MS };
    struct exec_ctx x = { .target = t, .args = { "--manifest", NULL } };
    struct h_limits limits = limits_for(t, &as);
    int rc;

    limits.timeout_ms = LIST_TIMEOUT_MS; /* not stretched: listing does no work */
    if ((rc = h_isolate(&limits, exec_child, &x, &o)) < 0) {
        snprintf(why, why_size, "cannot start %s: %s", t->bin_path, strerror(-rc));
        return rc;
    }
    if (o.verdict != H_PASS) {
        snprintf(why, why_size, "%s --manifest: %s %s", t->bin_path, h_verdict_name(o.verdict),
                 o.message);
        return -EPROTO;
    }
    if ((rc = h_list_parse(o.output, out)) < 0)
        snprintf(why, why_size, "%s --manifest printed something that is not a list of tests",
                 t->bin_path);
    return rc;
}

/* A crash's "crash trace:" line (testmain.c) as file:line of the code under test, or of the
 * first frame with a source line, from addr2line; appended to the message. */
static void locate_crash(const struct h_target *t, struct h_outcome *o)
{
    const char *trace = strstr(o->output, "crash trace:");
    char cmd[8192], fn[256], where[512], best[800] = "", first[800] = "";
    size_t len;
    FILE *p;

    if (!trace || strchr(t->bin_path, '\''))
        return;
    len = (size_t)snprintf(cmd, sizeof(cmd), "addr2line -f -e '%s'", t->bin_path);
    for (const char *c = trace + 12; *c && *c != '\n' && len < sizeof(cmd) - 2; c++)
        cmd[len++] = (*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'f') || *c == ' ' ? *c : ' ';
    snprintf(cmd + len, sizeof(cmd) - len, " 2>/dev/null");
    if (!(p = popen(cmd, "r")))
        return;
    while (fgets(fn, sizeof(fn), p) && fgets(where, sizeof(where), p)) {
        fn[strcspn(fn, "\n")] = where[strcspn(where, " \n")] = '\0';
        if (where[0] == '?')
            continue;
        if (!first[0])
            snprintf(first, sizeof(first), "%s (%s)",
                     strrchr(where, '/') ? strrchr(where, '/') + 1 : where, fn);
        if (!best[0] && h_is_learners_file(where, strcspn(where, ":")))
            snprintf(best, sizeof(best), "%s (%s)",
                     strrchr(where, '/') ? strrchr(where, '/') + 1 : where, fn);
    }
    pclose(p);
    if (best[0] || first[0]) {
        size_t at = strlen(o->message);

        snprintf(o->message + at, sizeof(o->message) - at, ", at %s", best[0] ? best : first);
    }
}

int h_run_test(const struct h_target *t, const struct h_listed *test, struct h_outcome *o)
{
    struct exec_ctx x = { .target = t, .args = { "--run", test->name, NULL } };
    struct h_limits limits = limits_for(t, test);
    int rc;

    if (t->seed) {
        x.args[2] = "--seed";
        x.args[3] = t->seed;
    }
    rc = h_isolate(&limits, exec_child, &x, o);
    if (rc == 0 && o->verdict == H_CRASH)
        locate_crash(t, o);
    return rc;
}
