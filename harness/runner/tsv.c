/* tsv.c: write and read test records (see tsv.h). */
#define _GNU_SOURCE
#include "tsv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char *const verdict_names[] = { "PASS", "FAIL", "CRASH", "TIMEOUT", "EXIT", "SKIP" };

const char *h_verdict_name(enum h_verdict v)
{
    return (unsigned)v < sizeof(verdict_names) / sizeof(*verdict_names) ? verdict_names[v] : "?";
}

int h_verdict_parse(const char *name)
{
    for (size_t i = 0; i < sizeof(verdict_names) / sizeof(*verdict_names); i++)
        if (!strcmp(name, verdict_names[i]))
            return (int)i;
    return -1;
}

static void put_field(FILE *f, const char *s, size_t len)
{
    for (size_t i = 0; i < len && s[i]; i++) {
        switch (s[i]) {
        case '\t':
            fputs("\\t", f);
            break;
        case '\n':
            fputs("\\n", f);
            break;
        case '\r':
            break;
        case '\\':
            fputs("\\\\", f);
            break;
        default:
            fputc(s[i], f);
        }
    }
}

int h_tsv_write(FILE *f, const struct h_row *r)
{
    fprintf(f, "%s\t%s\t%s\t%d\t%d\t%.3f\t%d\t%s\t", r->lesson, r->test, h_verdict_name(r->verdict),
            r->points, r->max_points, r->elapsed_s, r->timeout_ms, h_verdict_name(r->expect));
    put_field(f, r->expect_text, strlen(r->expect_text));
    fputc('\t', f);
    put_field(f, r->message, strlen(r->message));
    fputc('\t', f);
    put_field(f, r->output, strlen(r->output));
    return fputc('\n', f) == EOF ? -EIO : 0;
}

/* Copies the escaped field at *p (up to a tab or the end) into out, unescaped. */
static void get_field(char **p, char *out, size_t size)
{
    size_t n = 0;
    char *s = *p;

    for (; *s && *s != '\t'; s++) {
        char c = *s;

        if (c == '\\' && s[1]) {
            s++;
            c = *s == 't' ? '\t' : *s == 'n' ? '\n' : *s;
        }
        if (n + 1 < size)
            out[n++] = c;
    }
    out[n] = '\0';
    *p = *s == '\t' ? s + 1 : s;
}

int h_tsv_read(FILE *f, struct h_row *row)
{
    char *line = NULL, *p, field[64];
    size_t cap = 0;
    ssize_t len = getline(&line, &cap, f);
    int ok;

    if (len < 0) {
        free(line);
        return 0;
    }
    if (len > 0 && line[len - 1] == '\n')
        line[len - 1] = '\0';
    p = line;
    memset(row, 0, sizeof(*row));
    get_field(&p, row->lesson, sizeof(row->lesson));
    get_field(&p, row->test, sizeof(row->test));
    get_field(&p, field, sizeof(field));
    row->verdict = (enum h_verdict)h_verdict_parse(field);
    ok = (int)row->verdict >= 0;
    get_field(&p, field, sizeof(field));
    row->points = atoi(field);
    get_field(&p, field, sizeof(field));
    row->max_points = atoi(field);
    get_field(&p, field, sizeof(field));
    row->elapsed_s = atof(field);
    get_field(&p, field, sizeof(field));
    row->timeout_ms = atoi(field);
    get_field(&p, field, sizeof(field));
    row->expect = (enum h_verdict)h_verdict_parse(field);
    ok = ok && (int)row->expect >= 0;
    get_field(&p, row->expect_text, sizeof(row->expect_text));
    get_field(&p, row->message, sizeof(row->message));
    get_field(&p, row->output, sizeof(row->output));
    free(line);
    return ok && row->test[0] ? 1 : -EINVAL;
}
