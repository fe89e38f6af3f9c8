/* json.c: write results.json (see json.h). */
#include "json.h"

#include <errno.h>
#include <string.h>

/* Length of the valid UTF-8 sequence at s, or 0 if it is not one. */
static int utf8_len(const unsigned char *s)
{
    int n = s[0] >= 0xf0 && s[0] <= 0xf4 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc2 ? 2 : 0;

    for (int i = 1; i < n; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    return n;
}

/* The inside of a JSON string. Test output is arbitrary bytes: control characters are escaped
 * and bytes that are not valid UTF-8 become '?', so that the file always parses. */
static void put_chars(FILE *f, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;

    while (*p) {
        if (*p == '"' || *p == '\\') {
            fprintf(f, "\\%c", *p++);
        } else if (*p == '\n') {
            fputs("\\n", f);
            p++;
        } else if (*p < 0x20 || *p == 0x7f) {
            fprintf(f, "\\u%04x", *p++);
        } else if (*p < 0x80) {
            fputc(*p++, f);
        } else {
            int n = utf8_len(p);

            if (n) {
                fwrite(p, 1, (size_t)n, f);
                p += n;
            } else {
                fputc('?', f);
                p++;
            }
        }
    }
}

static void put_string(FILE *f, const char *s)
{
    fputc('"', f);
    put_chars(f, s);
    fputc('"', f);
}

int h_json_open(struct h_json *j, const char *path)
{
    j->tests = 0;
    j->f = fopen(path, "we");
    if (!j->f)
        return -errno;
    fputs("{\n  \"tests\": [", j->f);
    return 0;
}

void h_json_test(struct h_json *j, const struct h_row *r)
{
    char name[256], head[1200];

    snprintf(name, sizeof(name), "%s/%s", r->lesson, r->test);
    snprintf(head, sizeof(head), "%s%s%s%s", h_verdict_name(r->verdict), r->message[0] ? ": " : "",
             r->message, r->output[0] ? "\n\noutput:\n" : "");
    fprintf(j->f, "%s\n    { \"name\": ", j->tests++ ? "," : "");
    put_string(j->f, name);
    fprintf(j->f, ", \"score\": %d, \"max_score\": %d, \"status\": \"%s\", \"output\": ", r->points,
            r->max_points, r->verdict == H_PASS ? "passed" : "failed");
    fputc('"', j->f);
    put_chars(j->f, head);
    put_chars(j->f, r->output);
    fputs("\" }", j->f);
}

int h_json_close(struct h_json *j, int score, int max, double seconds)
{
    fprintf(j->f,
            "\n  ],\n  \"score\": %d,\n  \"max_score\": %d,\n  \"execution_time\": %.1f,\n"
            "  \"output\": \"Score: %d/%d\"\n}\n",
            score, max, seconds, score, max);
    return fclose(j->f) == 0 ? 0 : -EIO;
}
