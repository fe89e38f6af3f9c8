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
    const char *target, *t;
    int rc;

    *why = "malformed request line";
    if (mlen == 0 || mlen + 1 >= (size_t)(end - s) || s[mlen] != ' ' || s[mlen + 1] != '/')
        return 400;
    target = t = s + mlen + 1;
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

/* What the header lines said so far that latencyd acts on, or must check against a later line. */
struct head_state {
    int connection;       /* -1 close, 1 keep-alive, 0 not said */
    const char *length;   /* the first Content-Length's digits, leading zeros skipped */
    size_t length_len;    /* (NULL and 0 until one is seen) */
    bool transfer_coding; /* a Transfer-Encoding line was seen */
    bool chunked_last;    /* ... and the last coding it named is chunked */
    int hosts;            /* Host lines seen */
};

/* Content-Length is 1*DIGIT, nothing else: no sign, no spaces inside, no list. A repeat must
 * name the same length (leading zeros aside): with two lengths a proxy in front and this server
 * could each see the request end at a different byte, the classic request smuggling. */
static int content_length(const char *v, const char *end, struct head_state *st, const char **why)
{
    const char *d = v;

    for (; d < end && *d >= '0' && *d <= '9'; d++)
        ;
    if (d == v || d != end) {
        *why = "malformed Content-Length";
        return 400;
    }
    while (v + 1 < end && *v == '0')
        v++;
    if (st->length &&
        (st->length_len != (size_t)(end - v) || memcmp(st->length, v, st->length_len) != 0)) {
        *why = "conflicting Content-Length headers";
        return 400;
    }
    st->length = v;
    st->length_len = (size_t)(end - v);
    return 0;
}

/* Transfer-Encoding is a comma-separated list of codings, and the last one decides how the body
 * ends: unless it is chunked, nobody can tell (RFC 9112, section 6.3). A later line continues
 * the list, so its last coding is the one that counts. */
static void transfer_encoding(const char *v, const char *end, struct head_state *st)
{
    const char *last;

    while (end > v && (end[-1] == ',' || end[-1] == ' ' || end[-1] == '\t'))
        end--; /* empty list elements at the end do not count */
    for (last = end; last > v && last[-1] != ','; last--)
        ;
    while (last < end && (*last == ' ' || *last == '\t'))
        last++;
    st->transfer_coding = true;
    st->chunked_last = word_is(last, (size_t)(end - last), "chunked");
}

/* One "Name: value" line; remembers what latencyd acts on (Connection, Content-Length,
 * Transfer-Encoding) or must see at most once (Host). */
static int parse_header(const char *s, const char *end, struct head_state *st, const char **why)
{
    size_t nlen = token_len(s, end);
    const char *v;

    *why = "malformed header line";
    if (s < end && (*s == ' ' || *s == '\t')) {
        /* A continuation of the line before (obs-fold): RFC 9112 lets a server reject it, and
         * a server that joined the lines would read a header its proxy never saw. */
        *why = "folded header line";
        return 400;
    }
    if (nlen == 0 || s + nlen == end || s[nlen] != ':') /* also "Name : value" */
        return 400;
    v = s + nlen + 1;
    for (const char *c = v; c < end; c++)
        if ((unsigned char)*c < ' ' && *c != '\t')
            return 400;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
        end--;
    if (word_is(s, nlen, "Connection")) {
        if (word_is(v, (size_t)(end - v), "close"))
            st->connection = -1;
        else if (word_is(v, (size_t)(end - v), "keep-alive"))
            st->connection = 1;
    } else if (word_is(s, nlen, "Content-Length")) {
        return content_length(v, end, st, why);
    } else if (word_is(s, nlen, "Transfer-Encoding")) {
        transfer_encoding(v, end, st);
    } else if (word_is(s, nlen, "Host") && ++st->hosts > 1) {
        *why = "more than one Host header"; /* RFC 9112, section 3.2 */
        return 400;
    }
    return 0;
}

/* What only the whole head can tell: whether the body's end is known one way only. */
static int check_framing(const struct head_state *st, const char **why)
{
    if (st->transfer_coding && st->length) {
        *why = "both Content-Length and Transfer-Encoding";
        return 400;
    }
    if (st->transfer_coding && !st->chunked_last) {
        *why = "Transfer-Encoding does not end with chunked";
        return 400;
    }
    return 0;
}

int ld_http_parse(const char *buf, size_t len, struct ld_request *req, const char **why)
{
    const char *end = buf + len, *next, *eol;
    struct head_state st = { 0 };
    int minor = 0, rc;

    memset(req, 0, sizeof(*req));
    eol = line_end(buf, end, &next);
    if ((rc = parse_request_line(buf, eol, req, &minor, why)) != 0)
        return rc;
    for (const char *s = next; s < end; s = next) {
        eol = line_end(s, end, &next);
        if (eol == s)
            break; /* the blank line */
        if ((rc = parse_header(s, eol, &st, why)) != 0)
            return rc;
    }
    if ((rc = check_framing(&st, why)) != 0)
        return rc;
    req->keep_alive = st.connection == 0 ? minor >= 1 : st.connection > 0;
    req->has_body = st.transfer_coding || (st.length && *st.length != '0');
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
