/* ld_http.c: finding and parsing HTTP/1.x request heads (see ld_http.h). */
#include "ld_http.h"

#include <string.h>
#include <strings.h>

size_t ld_http_head_end(const char *buf, size_t len, size_t from)
{
    /* Step back over what may be the start of a blank line split across two reads. */
    size_t i = from > 3 ? from - 3 : 0;

    for (; i < len; i++) {
        if (buf[i] != '\n')
            continue;
        if (i + 1 < len && buf[i + 1] == '\n')
            return i + 2;
        if (i + 2 < len && buf[i + 1] == '\r' && buf[i + 2] == '\n')
            return i + 3;
    }
    return 0;
}

/* RFC 9110's tchar: the characters of a method or a header name. */
static bool is_tchar(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static size_t token_len(const char *s, const char *end)
{
    size_t n = 0;

    while (s + n < end && is_tchar(s[n]))
        n++;
    return n;
}

/* The line starting at s: its end (before CR LF or LF) and where the next line starts. */
static const char *line_end(const char *s, const char *end, const char **next)
{
    const char *nl = memchr(s, '\n', (size_t)(end - s));

    if (!nl) {
        *next = end;
        return end;
    }
    *next = nl + 1;
    return nl > s && nl[-1] == '\r' ? nl - 1 : nl;
}

static bool word_is(const char *s, size_t len, const char *word)
{
    return strlen(word) == len && strncasecmp(s, word, len) == 0;
}

/* GET and HEAD are served; the other methods HTTP defines get 405; anything else 501. */
static int classify_method(const char *m, size_t len, enum ld_method *out)
{
    static const char *const defined[] = { "POST",    "PUT",     "DELETE", "PATCH",
                                           "OPTIONS", "CONNECT", "TRACE",  NULL };

    if (len == 3 && memcmp(m, "GET", 3) == 0) {
        *out = LD_GET;
        return 0;
    }
    if (len == 4 && memcmp(m, "HEAD", 4) == 0) {
        *out = LD_HEAD;
        return 0;
    }
    for (int i = 0; defined[i]; i++) {
        if (strlen(defined[i]) == len && memcmp(m, defined[i], len) == 0) {
            *out = LD_NOT_ALLOWED;
            return 0;
        }
    }
    return 501;
}

/* "GET /path?query HTTP/1.1": exactly one space between the three parts. */
static int parse_request_line(const char *s, const char *end, struct ld_request *req, int *minor,
                              const char **why)
{
    size_t mlen = token_len(s, end);
    const char *target = s + mlen + 1, *t = target;
    int rc;

    *why = "malformed request line";
    if (mlen == 0 || target >= end || s[mlen] != ' ' || *target != '/')
        return 400;
    while (t<end && * t> ' ' && *t < 0x7f)
        t++;
    if (end - t != 9 || *t != ' ' || memcmp(t + 1, "HTTP/", 5) != 0 || t[7] != '.' || t[6] < '0' ||
        t[6] > '9' || t[8] < '0' || t[8] > '9')
        return 400;
    if (t[6] != '1') {
        *why = "only HTTP/1.0 and HTTP/1.1 are spoken here";
        return 505;
    }
    if ((rc = classify_method(s, mlen, &req->method)) != 0) {
        *why = "unknown method";
        return rc;
    }
    *minor = t[8] - '0';
    req->path = target;
    req->path_len = (size_t)(t - target);
    req->query = memchr(target, '?', req->path_len);
    if (req->query) {
        req->path_len = (size_t)(req->query - target);
        req->query++;
        req->query_len = (size_t)(t - req->query);
    }
    return 0;
}

/* One "Name: value" line; remembers what latencyd acts on (Connection, Content-Length,
 * Transfer-Encoding). */
static int parse_header(const char *s, const char *end, struct ld_request *req, int *connection)
{
    size_t nlen = token_len(s, end);
    const char *v = s + nlen + 1;

    if (nlen == 0 || s[nlen] != ':')
        return 400;
    for (const char *c = v; c < end; c++)
        if ((unsigned char)*c < ' ' && *c != '\t')
            return 400;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
        end--;
    if (word_is(s, nlen, "Connection")) {
        if (word_is(v, (size_t)(end - v), "close"))
            *connection = -1;
        else if (word_is(v, (size_t)(end - v), "keep-alive"))
            *connection = 1;
    } else if (word_is(s, nlen, "Content-Length")) {
        const char *d = v;
        bool nonzero = false;

        for (; d < end && *d >= '0' && *d <= '9'; d++)
            nonzero |= *d != '0';
        if (d == v || d != end)
            return 400;
        req->has_body |= nonzero;
    } else if (word_is(s, nlen, "Transfer-Encoding")) {
        req->has_body = true;
    }
    return 0;
}

int ld_http_parse(const char *buf, size_t len, struct ld_request *req, const char **why)
{
    const char *end = buf + len, *next, *eol;
    int minor = 0, connection = 0, rc;

    memset(req, 0, sizeof(*req));
    eol = line_end(buf, end, &next);
    if ((rc = parse_request_line(buf, eol, req, &minor, why)) != 0)
        return rc;
    for (const char *s = next; s < end; s = next) {
        eol = line_end(s, end, &next);
        if (eol == s)
            break; /* the blank line */
        if (parse_header(s, eol, req, &connection) != 0) {
            *why = "malformed header line";
            return 400;
        }
    }
    req->keep_alive = connection == 0 ? minor >= 1 : connection > 0;
    return 0;
}

const char *ld_http_reason(int status)
{
    static const struct {
        int status;
        const char *reason;
    } reasons[] = {
        { 200, "OK" },
        { 201, "Created" },
        { 202, "Accepted" },
        { 204, "No Content" },
        { 301, "Moved Permanently" },
        { 302, "Found" },
        { 304, "Not Modified" },
        { 400, "Bad Request" },
        { 401, "Unauthorized" },
        { 403, "Forbidden" },
        { 404, "Not Found" },
        { 405, "Method Not Allowed" },
        { 408, "Request Timeout" },
        { 418, "I'm a teapot" },
        { 429, "Too Many Requests" },
        { 431, "Request Header Fields Too Large" },
        { 500, "Internal Server Error" },
        { 501, "Not Implemented" },
        { 502, "Bad Gateway" },
        { 503, "Service Unavailable" },
        { 504, "Gateway Timeout" },
        { 505, "HTTP Version Not Supported" },
    };

    for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
        if (reasons[i].status == status)
            return reasons[i].reason;
    return "Unknown";
}

bool ld_http_bodyless(int status)
{
    return status < 200 || status == 204 || status == 304;
}
