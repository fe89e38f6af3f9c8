/* report.c: writing and reading the report protocol (see report.h). */
#define _GNU_SOURCE
#include "report.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void write_record(int fd, const char *line, size_t len)
{
    while (write(fd, line, len) < 0 && errno == EINTR)
        ;
}

/* Appends text to rec at *len, with tabs and newlines made spaces, leaving room for '\n'. */
static void put_text(char *rec, size_t size, size_t *len, const char *text)
{
    for (const char *m = text; *m && *len < size - 2; m++)
        rec[(*len)++] = (*m == '\n' || *m == '\t') ? ' ' : *m;
}

void h_report_failure(int fd, const char *file, unsigned line, const char *message)
{
    char rec[1200];
    int n = snprintf(rec, sizeof(rec), "F %d %u ", (int)getpid(), line);
    size_t len;

    if (n < 0 || (size_t)n >= sizeof(rec))
        return;
    len = (size_t)n;
    put_text(rec, sizeof(rec), &len, file);
    rec[len++] = '\t';
    put_text(rec, sizeof(rec), &len, message);
    rec[len++] = '\n';
    write_record(fd, rec, len);
}

void h_report_skip(int fd, const char *reason)
{
    char rec[600];
    int n = snprintf(rec, sizeof(rec), "S %d ", (int)getpid());
    size_t len;

    if (n < 0 || (size_t)n >= sizeof(rec))
        return;
    len = (size_t)n;
    put_text(rec, sizeof(rec), &len, reason);
    rec[len++] = '\n';
    write_record(fd, rec, len);
}

void h_report_end(int fd)
{
    char rec[32];
    int n = snprintf(rec, sizeof(rec), "E %d\n", (int)getpid());

    write_record(fd, rec, (size_t)n);
}

void h_records_init(struct h_records *r)
{
    r->len = 0;
    r->buf[0] = '\0';
}

void h_records_feed(struct h_records *r, const char *data, size_t n)
{
    size_t room = H_RECORDS_KEEP - r->len;

    if (n > room)
        n = room;
    memcpy(r->buf + r->len, data, n);
    r->len += n;
    r->buf[r->len] = '\0';
}

/* Adds "file:line: message" (or the reason) as one more line of out->detail. */
static void add_detail(struct h_report *out, const char *text, int len)
{
    size_t at = strlen(out->detail);

    snprintf(out->detail + at, sizeof(out->detail) - at, "%s%.*s", at ? "\n" : "", len, text);
}

void h_records_parse(const struct h_records *r, pid_t pid, struct h_report *out)
{
    const char *p = r->buf;

    memset(out, 0, sizeof(*out));
    while (*p) {
        const char *eol = strchr(p, '\n');
        int rec_pid = 0, used = 0;
        unsigned line = 0;

        if (!eol)
            break; /* a torn last line: the process died mid-write */
        if (sscanf(p, "E %d", &rec_pid) == 1 && rec_pid == pid) {
            out->ended = 1;
        } else if (sscanf(p, "S %d %n", &rec_pid, &used) == 1 && used && rec_pid == pid) {
            if (!out->skipped++ && !out->failures)
                add_detail(out, p + used, (int)(eol - p - used));
        } else if (sscanf(p, "F %d %u %n", &rec_pid, &line, &used) == 2 && rec_pid == pid) {
            const char *tab = memchr(p + used, '\t', (size_t)(eol - p - used));
            char one[1300];

            if (out->failures == 0)
                out->detail[0] = '\0'; /* a failure outranks a skip's reason */
            if (out->failures++ < H_FAILURES_MAX && tab) {
                int n = snprintf(one, sizeof(one), "%.*s:%u: %.*s", (int)(tab - p - used), p + used,
                                 line, (int)(eol - tab - 1), tab + 1);

                add_detail(out, one, n < 0 ? 0 : n);
            }
        }
        p = eol + 1;
    }
    if (out->failures > H_FAILURES_MAX) {
        char more[64];
        int n = snprintf(more, sizeof(more), "(and %d more failed checks)",
                         out->failures - H_FAILURES_MAX);

        add_detail(out, more, n);
    }
}
