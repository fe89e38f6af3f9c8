/* json.c: write results.json (see json.h). */
#include "json.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

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

static void put_test(FILE *f, const struct h_row *r, int first)
{
    char name[256], head[3200];

    snprintf(name, sizeof(name), "%s/%s", r->lesson, r->test);
    snprintf(head, sizeof(head), "%s%s%s%s%s", h_verdict_name(r->verdict),
             r->message[0] ? ": " : "", r->message,
             r->verdict == H_SKIP
                 ? "\n(skipped: could not be judged on this machine, so its points "
                   "are left out of the maximum)"
                 : "",
             r->output[0] ? "\n\noutput:\n" : "");
    fprintf(f, "%s\n    { \"name\": ", first ? "" : ",");
    put_string(f, name);
    /* Gradescope knows "passed" and "failed"; a skipped test, worth nothing, failed nothing. */
    fprintf(f, ", \"score\": %d, \"max_score\": %d, \"status\": \"%s\", \"output\": ", r->points,
            r->max_points, r->verdict == H_PASS || r->verdict == H_SKIP ? "passed" : "failed");
    fputc('"', f);
    put_chars(f, head);
    put_chars(f, r->output);
    fputs("\" }", f);
}

int h_json_write(const char *path, const struct h_row *rows, int n, int score, int max,
                 double seconds)
{
    char tmp[4200];
    FILE *f;
    int rc = 0;

    snprintf(tmp, sizeof(tmp), "%s.%d.tmp", path, (int)getpid());
    if (!(f = fopen(tmp, "we")))
        return -errno;
    fputs("{\n  \"tests\": [", f);
    for (int i = 0; i < n; i++)
        put_test(f, &rows[i], i == 0);
    fprintf(f,
            "\n  ],\n  \"score\": %d,\n  \"max_score\": %d,\n  \"execution_time\": %.1f,\n"
            "  \"visibility\": \"visible\",\n  \"stdout_visibility\": \"visible\",\n"
            "  \"output\": \"Score: %d/%d\"\n}\n",
            score, max, seconds, score, max);
    if (ferror(f))
        rc = -EIO;
    if (fclose(f) != 0 && rc == 0)
        rc = -EIO;
    if (rc == 0 && rename(tmp, path) != 0)
        rc = -errno;
    if (rc != 0)
        unlink(tmp);
    return rc;
}
