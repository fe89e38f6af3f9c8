/* verdict.c: turn how a test's process ended into PASS, FAIL, CRASH, TIMEOUT or EXIT, with a
 * message that tells the learner where to look (see verdict.h). */
#define _GNU_SOURCE
#include "verdict.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "report.h"

void h_scan_init(struct h_scan *s)
{
    memset(s, 0, sizeof(*s));
}

/* What each checker prints when it finds something: the mark to look for, the checker's name,
 * how much of the mark to skip before the one-line summary, and where that summary stops
 * ("data race (pid=...)" gives "data race"). */
static const struct {
    const char *mark, *name;
    size_t skip;
    const char *stop;
} checkers[] = {
    { "WARNING: ThreadSanitizer: ", "ThreadSanitizer", 26, "(\n" },
    { "ERROR: AddressSanitizer: ", "AddressSanitizer", 25, " \n" },
    { "ERROR: LeakSanitizer: ", "LeakSanitizer", 22, "\n" },
    { "runtime error: ", "UndefinedBehaviorSanitizer", 15, "\n" },
    /* valgrind's memcheck (make valgrind): each error line starts "==PID== " */
    { "== Invalid ", "valgrind", 3, "\n" },
    { "== Conditional jump ", "valgrind", 3, "\n" },
    { "== Use of uninitialised ", "valgrind", 3, "\n" },
    { "== Mismatched free", "valgrind", 3, "\n" },
    { " are definitely lost in loss record", "valgrind: memory definitely lost", 0, "" },
};

void h_scan_feed(struct h_scan *s, const char *data, size_t n)
{
    char buf[sizeof(s->tail) + 8192 + 1];

    while (n > 0 && !s->found[0]) {
        size_t take = n < 8192 ? n : 8192, len = s->tail_len + take;

        memcpy(buf, s->tail, s->tail_len);
        memcpy(buf + s->tail_len, data, take);
        buf[len] = '\0';
        for (size_t i = 0; i < sizeof(checkers) / sizeof(*checkers); i++) {
            /* Output may hold NUL bytes; strstr then sees less, which errs towards missing a
             * report in binary garbage, never towards inventing one. */
            const char *hit = strstr(buf, checkers[i].mark);
            int words;

            if (!hit)
                continue;
            hit += checkers[i].skip;
            words = checkers[i].stop[0] ? (int)strcspn(hit, checkers[i].stop) : 0;
            while (words > 0 && hit[words - 1] == ' ')
                words--;
            snprintf(s->found, sizeof(s->found), "%s%s%.*s", checkers[i].name, words ? ": " : "",
                     words > 120 ? 120 : words, hit);
            break;
        }
        s->tail_len = len < sizeof(s->tail) ? len : sizeof(s->tail);
        memmove(s->tail, buf + len - s->tail_len, s->tail_len);
        data += take;
        n -= take;
    }
}

static const char *signal_name(int sig)
{
    switch (sig) {
    case SIGSEGV:
        return "SIGSEGV (segmentation fault: a bad pointer, or a stack overflow)";
    case SIGABRT:
        return "SIGABRT (abort: a failed assert, or the C library found corruption)";
    case SIGBUS:
        return "SIGBUS (bus error: a bad memory access)";
    case SIGFPE:
        return "SIGFPE (arithmetic error: division by zero?)";
    case SIGILL:
        return "SIGILL (illegal instruction)";
    case SIGXCPU:
        return "SIGXCPU (the CPU time limit: a busy loop?)";
    case SIGXFSZ:
        return "SIGXFSZ (the file size limit)";
    case SIGPIPE:
        return "SIGPIPE (a write to a pipe or socket nobody reads)";
    case SIGKILL:
        return "SIGKILL (killed outright: by the code under test itself, or by the system when "
               "memory ran out)";
    case SIGALRM:
        return "SIGALRM (a timer the code set with alarm() or timer_create went off, and nothing "
               "handled it)";
    case SIGTERM:
        return "SIGTERM";
    case SIGINT:
        return "SIGINT";
    default: {
        static char other[128];

        snprintf(other, sizeof(other), "SIG%s (%s)", sigabbrev_np(sig) ? sigabbrev_np(sig) : "?",
                 strsignal(sig));
        return other;
    }
    }
}

static void timeout_message(struct h_outcome *o, int timeout_ms, long long cpu_ns, bool running)
{
    double wall = timeout_ms / 1000.0, cpu = cpu_ns >= 0 ? h_ns_to_s(cpu_ns) : -1;

    if (cpu < 0)
        snprintf(o->message, sizeof(o->message), "no result after %.1f s", wall);
    else if (cpu > 0.5 * wall || running)
        snprintf(o->message, sizeof(o->message),
                 "no result after %.1f s, and it used %.1f s of CPU meanwhile: a busy loop, or "
                 "a wait that spins instead of sleeping?",
                 wall, cpu);
    else
        snprintf(o->message, sizeof(o->message),
                 "no result after %.1f s, and it used only %.2f s of CPU: it was asleep. A "
                 "deadlock, a join or wait that nothing ends, or a lost wake-up?",
                 wall, cpu);
}

void h_judge(struct h_outcome *o, const struct h_records *rec, const struct h_scan *scan, pid_t pid,
             int status, int timed_out, int timeout_ms, long long cpu_at_timeout_ns,
             bool running_at_timeout)
{
    struct h_report r;

    h_records_parse(rec, pid, &r);
    o->failures = r.failures;
    if (timed_out) {
        size_t printed = o->output_len + o->output_dropped;

        o->verdict = H_TIMEOUT;
        if (printed > (1u << 20)) /* what kept it busy was printing: no guess about waits */
            snprintf(o->message, sizeof(o->message),
                     "no result after %.1f s, and it printed %.1f MB meanwhile: is something "
                     "printing in a loop?",
                     timeout_ms / 1000.0, (double)printed / (1 << 20));
        else
            timeout_message(o, timeout_ms, cpu_at_timeout_ns, running_at_timeout);
    } else if (WIFSIGNALED(status)) {
        o->verdict = H_CRASH;
        snprintf(o->message, sizeof(o->message), "killed by %s", signal_name(WTERMSIG(status)));
    } else if (!r.ended) {
        o->verdict = H_EXIT;
        snprintf(o->message, sizeof(o->message),
                 "the process ended with exit status %d before the test finished (exit() or "
                 "_exit() called from the code under test?)",
                 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    } else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        /* The test function returned, then something (an atexit handler, a destructor) ended
         * the process another way: the test did not end as a test ends. */
        o->verdict = H_EXIT;
        snprintf(o->message, sizeof(o->message),
                 "the test returned, then the process ended with exit status %d instead of 0",
                 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    } else {
        o->verdict = r.failures > 0 ? H_FAIL : r.skipped ? H_SKIP : H_PASS;
        snprintf(o->message, sizeof(o->message), "%s", r.detail);
    }
    if (r.failures > 0 && o->verdict != H_FAIL) { /* what it found before it crashed or hung */
        size_t len = strlen(o->message);

        snprintf(o->message + len, sizeof(o->message) - len, "\nbefore that, failed: %s", r.detail);
    }
    if (scan->found[0] && o->verdict != H_TIMEOUT) {
        if (o->verdict != H_CRASH)
            o->verdict = H_FAIL;
        snprintf(o->message, sizeof(o->message), "%s (its report is in the output)", scan->found);
    }
    if (o->leftovers > 0) {
        size_t len = strlen(o->message);

        if (o->verdict == H_PASS || o->verdict == H_SKIP)
            o->verdict = H_FAIL;
        snprintf(o->message + len, sizeof(o->message) - len,
                 "%sleft %d process%s running after the test (the runner killed %s)",
                 len ? "; " : "", o->leftovers, o->leftovers == 1 ? "" : "es",
                 o->leftovers == 1 ? "it" : "them");
    }
}

void h_outcome_prefix(struct h_outcome *o, const char *head)
{
    char was[sizeof(o->message)];

    snprintf(was, sizeof(was), "%s", o->message);
    snprintf(o->message, sizeof(o->message), "%s%s", head, was);
}

/* One side of a race: "writes"/"reads", whether a lock was held, and where in the code under
 * test: "csem.c:41 (csem_post)". */
struct access {
    const char *kind;
    int locked;
    char where[160];
};

bool h_is_learners_file(const char *path, size_t len)
{
    const char *base = path;

    for (size_t i = 0; i < len; i++)
        if (path[i] == '/')
            base = path + i + 1;
    if (len < 3 || memcmp(path + len - 2, ".c", 2) != 0)
        return 0;
    if (!strncmp(base, "test_", 5) || strstr(path, "/harness/") || !strncmp(path, "harness/", 8) ||
        !strncmp(path, "/usr/", 5))
        return 0;
    return 1;
}

/* A heading line of an access in a report: "  Write of size 4 at 0x... by thread T1:" or
 * "  Previous read of size 4 at 0x... by main thread (mutexes: write M0):". */
static int is_access_heading(const char *line)
{
    static const char *const starts[] = { "  Write ",         "  Read ",
                                          "  Atomic ",        "  Previous write ",
                                          "  Previous read ", "  Previous atomic " };

    for (size_t i = 0; i < sizeof(starts) / sizeof(*starts); i++)
        if (!strncmp(line, starts[i], strlen(starts[i])))
            return 1;
    return 0;
}

/* Fills a from the heading at line (up to eol). */
static void read_heading(const char *line, const char *eol, struct access *a)
{
    char head[256];
    int atomic, write;

    snprintf(head, sizeof(head), "%.*s", (int)(eol - line), line);
    atomic = strstr(head, "tomic") != NULL;
    write = strstr(head, "rite") != NULL;
    a->kind =
        atomic ? (write ? "writes atomically" : "reads atomically") : (write ? "writes" : "reads");
    a->locked = strstr(head, "(mutexes:") != NULL;
}

/* A stack frame "    #0 csem_post /path/to/csem.c:41 (binary+0x1234)": if its file is the
 * code under test, "csem.c:41 (csem_post)" into a->where. */
static void read_frame(const char *line, const char *eol, struct access *a)
{
    const char *fn = strchr(line, '#'), *file, *colon, *base;

    if (a->where[0] || !fn || !(fn = memchr(fn, ' ', (size_t)(eol - fn))) ||
        !(file = memchr(fn + 1, ' ', (size_t)(eol - fn - 1))) ||
        !(colon = memchr(file + 1, ':', (size_t)(eol - file - 1))) ||
        !h_is_learners_file(file + 1, (size_t)(colon - file - 1)))
        return;
    for (base = colon; base > file + 1 && base[-1] != '/'; base--)
        ;
    snprintf(a->where, sizeof(a->where), "%.*s:%d (%.*s)", (int)(colon - base), base,
             atoi(colon + 1), (int)(file - fn - 1), fn + 1);
}

bool h_explain_race(struct h_outcome *o)
{
    const char *p = strstr(o->output, "WARNING: ThreadSanitizer: data race");
    struct access sides[2] = { { 0 }, { 0 } };
    int n = -1;

    if (!p)
        return false;
    /* The two accesses are the report's first two headings, each followed by its stack. */
    for (p = strchr(p, '\n'); p && *++p && n < 2; p = strchr(p, '\n')) {
        const char *eol = strchr(p, '\n');

        if (!eol)
            eol = p + strlen(p);
        if (is_access_heading(p)) {
            if (++n == 2)
                break;
            read_heading(p, eol, &sides[n]);
        } else if (n >= 0 && !strncmp(p, "    #", 5)) {
            read_frame(p, eol, &sides[n]);
        } else if (n >= 1 && *p != ' ') {
            break; /* past the second stack */
        }
    }
    struct access first = sides[0], second = sides[1];

    o->verdict = H_FAIL;
    if (first.where[0] || second.where[0])
        snprintf(o->message, sizeof(o->message),
                 "data race (ThreadSanitizer): %s %s %s, while %s %s %s: two threads touch the "
                 "same memory and one of them writes; guard every access with the same mutex "
                 "(the whole report is in the output)",
                 first.where[0] ? first.where : "code outside your files",
                 first.kind ? first.kind : "writes",
                 first.locked ? "holding a lock" : "without a lock",
                 second.where[0] ? second.where : "code outside your files",
                 second.kind ? second.kind : "reads",
                 second.locked ? "holding a lock" : "without a lock");
    else
        snprintf(o->message, sizeof(o->message),
                 "data race (ThreadSanitizer), outside your files as far as the report shows: "
                 "see the output");
    return true;
}
