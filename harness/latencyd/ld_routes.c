/* ld_routes.c: what each latencyd endpoint answers (the list is in ld_server.h), and how an
 * answer is laid out: status line, headers and a short text body in one buffer, then any number
 * of pattern bytes, so that a response of any size goes out in one sendmsg. */
#include "ld_core.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "clock.h"

#define LD_DRIP_INTERVAL_MS 100 /* /drip's pause between bytes when the query names none */

static const char index_text[] =
    "latencyd: a loopback HTTP server for concurrency experiments\n"
    "  /delay/<ms>               200 after ms milliseconds\n"
    "  /bytes/<n>                n bytes, 'a' to 'z' repeated\n"
    "  /status/<code>            that status code\n"
    "  /stall                    never answers\n"
    "  /drip/<n>?interval=<ms>   n bytes, one every interval ms\n"
    "  /stats, /stats/reset      what the server counted, as JSON; zero it\n";

/* Appends to c->head; false once it no longer fits. */
static bool append(struct ld_conn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool append(struct ld_conn *c, const char *fmt, ...)
{
    size_t room = sizeof(c->head) - c->head_len;
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(c->head + c->head_len, room, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= room)
        return false;
    c->head_len += (size_t)n;
    return true;
}

void ld_respond(struct ld_conn *c, int status, const char *content_type, const char *text,
                size_t pattern_len, bool head_only)
{
    bool bodyless = ld_http_bodyless(status);
    size_t text_len = text ? strlen(text) : 0;
    bool ok;

    c->head_len = c->head_sent = 0;
    ok = append(c, "HTTP/1.1 %d %s\r\n", status, ld_http_reason(status));
    if (!bodyless)
        ok = ok && append(c, "Content-Type: %s\r\nContent-Length: %zu\r\n", content_type,
                          text_len + pattern_len);
    ok = ok && append(c, "Connection: %s\r\n\r\n%s", c->keep_alive ? "keep-alive" : "close",
                      head_only || bodyless ? ""
                      : text                ? text
                                            : "");
    if (!ok) { /* a text too long for the head buffer is a bug in a route: say so, still HTTP */
        c->head_len = 0;
        c->keep_alive = false;
        append(c, "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n"
                  "Connection: close\r\n\r\n");
        pattern_len = 0;
    }
    c->body_len = c->body_ready = head_only || bodyless ? 0 : pattern_len;
    c->body_sent = 0;
    c->drip_interval_ns = 0;
    c->state = LD_SENDING;
}

/* A decimal number s[0..len) in [0, max]: digits only, no sign, no spaces.
 * Returns 0, -EINVAL (not a number) or -ERANGE (a number out of range). */
static int parse_number(const char *s, size_t len, long max, long *out)
{
    long v = 0;

    if (len == 0)
        return -EINVAL;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -EINVAL;
        if (v > (max - (s[i] - '0')) / 10)
            v = max + 1; /* stays out of range without overflowing */
        else
            v = v * 10 + (s[i] - '0');
    }
    if (v > max)
        return -ERANGE;
    *out = v;
    return 0;
}

/* If path starts with prefix, the rest is a number in [0, max]: returns 1 and sets *value, or
 * answers 400 and returns -1. Returns 0 if path does not start with prefix. */
static int number_after(struct ld_conn *c, const struct ld_request *req, const char *prefix,
                        long max, long *value)
{
    size_t plen = strlen(prefix);
    char text[160];
    int rc;

    if (req->path_len < plen || memcmp(req->path, prefix, plen) != 0)
        return 0;
    rc = parse_number(req->path + plen, req->path_len - plen, max, value);
    if (rc == 0)
        return 1;
    snprintf(text, sizeof(text), "400 Bad Request: %.*s wants %s between 0 and %ld\n",
             (int)(plen - 1), prefix, rc == -ERANGE ? "a number" : "a plain decimal number", max);
    ld_respond(c, 400, "text/plain", text, 0, req->method == LD_HEAD);
    return -1;
}

/* The interval=<ms> parameter of /drip's query, or the default. -1 if it is malformed. */
static long drip_interval(const struct ld_request *req)
{
    const char *q = req->query, *end;
    long ms = LD_DRIP_INTERVAL_MS;

    if (!q) /* no '?' in the target: NULL + 0 would be undefined, not an empty range */
        return ms;
    end = q + req->query_len;
    while (q < end) {
        const char *amp = memchr(q, '&', (size_t)(end - q));
        const char *stop = amp ? amp : end;

        if (stop - q >= 9 && memcmp(q, "interval=", 9) == 0 &&
            (parse_number(q + 9, (size_t)(stop - q - 9), LD_MAX_DRIP_INTERVAL_MS, &ms) != 0 ||
             ms < 1))
            return -1;
        q = amp ? amp + 1 : end;
    }
    return ms;
}

static void stats(struct ld_server *s, struct ld_conn *c, bool head_only)
{
    char json[320];
    const struct ld_stats *st = &s->stats;

    /* The asking connection is not counted: the numbers describe the other clients. */
    snprintf(json, sizeof(json),
             "{\"requests\":%ld,\"connections\":%ld,\"in_flight\":%ld,\"peak_in_flight\":%ld,"
             "\"refused\":%ld,\"header_timeouts\":%ld}\n",
             st->requests, s->n_conns - 1, st->in_flight, st->peak_in_flight, st->refused,
             st->header_timeouts);
    ld_respond(c, 200, "application/json", json, 0, head_only);
}

/* The endpoints that take time: /delay, /drip, /stall. Returns 0 if path is none of them. */
static int slow_route(struct ld_server *s, struct ld_conn *c, const struct ld_request *req)
{
    bool head_only = req->method == LD_HEAD;
    char text[64];
    long v, ms;
    int rc;

    if ((rc = number_after(c, req, "/delay/", LD_MAX_DELAY_MS, &v)) != 0) {
        if (rc < 0)
            return 1;
        snprintf(text, sizeof(text), "waited %ld ms\n", v);
        ld_respond(c, 200, "text/plain", text, 0, head_only);
        if (v > 0) { /* answered when the timer fires; prepared now */
            c->state = LD_WAITING;
            if (ld_heap_arm(&s->timers, &c->timer, h_now_ns() + v * H_NS_PER_MS) != 0)
                ld_respond(c, 503, "text/plain", "503 out of memory\n", 0, head_only);
        }
        return 1;
    }
    if ((rc = number_after(c, req, "/drip/", LD_MAX_DRIP, &v)) != 0) {
        if (rc < 0)
            return 1;
        if ((ms = drip_interval(req)) < 0) {
            ld_respond(c, 400, "text/plain", "400 Bad Request: interval=<ms> wants 1..10000\n", 0,
                       head_only);
            return 1;
        }
        ld_respond(c, 200, "application/octet-stream", NULL, (size_t)v, head_only);
        c->body_ready = 0; /* the head goes now; each byte waits for its tick */
        c->drip_interval_ns = ms * H_NS_PER_MS;
        if (c->body_len > 0 &&
            ld_heap_arm(&s->timers, &c->timer, h_now_ns() + c->drip_interval_ns) != 0)
            c->body_len = 0; /* out of memory: an empty answer rather than a hang */
        return 1;
    }
    if (req->path_len == 6 && memcmp(req->path, "/stall", 6) == 0) {
        c->state = LD_WAITING; /* no timer: only the client leaving ends it */
        return 1;
    }
    return 0;
}

/* Counts the request as received and in flight, unless it asks about the counts themselves. */
static void count(struct ld_server *s, struct ld_conn *c)
{
    s->stats.requests++;
    c->in_flight = true;
    if (++s->stats.in_flight > s->stats.peak_in_flight)
        s->stats.peak_in_flight = s->stats.in_flight;
}

static bool path_is(const struct ld_request *req, const char *path)
{
    return req->path_len == strlen(path) && memcmp(req->path, path, req->path_len) == 0;
}

void ld_route(struct ld_server *s, struct ld_conn *c, const struct ld_request *req)
{
    bool head_only = req->method == LD_HEAD;
    char text[64];
    long v;
    int rc;

    /* A body we do not read would be taken for the next request: answer, then close. */
    c->keep_alive = req->keep_alive && !req->has_body;
    c->linger = req->has_body;
    if (path_is(req, "/stats")) {
        stats(s, c, head_only);
        return;
    }
    if (path_is(req, "/stats/reset")) {
        s->stats = (struct ld_stats){ .in_flight = s->stats.in_flight,
                                      .peak_in_flight = s->stats.in_flight };
        ld_respond(c, 200, "text/plain", "reset\n", 0, head_only);
        return;
    }
    count(s, c);
    if (req->method == LD_NOT_ALLOWED) {
        ld_respond(c, 405, "text/plain", "405 Method Not Allowed: GET or HEAD only\n", 0, false);
        return;
    }
    if (slow_route(s, c, req))
        return;
    if ((rc = number_after(c, req, "/bytes/", LD_MAX_BYTES, &v)) != 0) {
        if (rc > 0)
            ld_respond(c, 200, "application/octet-stream", NULL, (size_t)v, head_only);
        return;
    }
    if ((rc = number_after(c, req, "/status/", 599, &v)) != 0) {
        if (rc > 0 && v < 200) {
            ld_respond(c, 400, "text/plain", "400 Bad Request: /status wants 200..599\n", 0,
                       head_only);
        } else if (rc > 0) {
            snprintf(text, sizeof(text), "%ld %s\n", v, ld_http_reason((int)v));
            ld_respond(c, (int)v, "text/plain", text, 0, head_only);
        }
        return;
    }
    if (path_is(req, "/"))
        ld_respond(c, 200, "text/plain", index_text, 0, head_only);
    else
        ld_respond(c, 404, "text/plain", "404 Not Found\n", 0, head_only);
}
