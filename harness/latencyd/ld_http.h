/* ld_http.h: the part of HTTP/1.1 that latencyd speaks: finding and parsing a request head.
 *
 * Pure functions over a buffer: no sockets, no allocation, no global state, so each rule of the
 * grammar can be read (and tested) on its own. The parser is strict where a sloppy one would let
 * a malformed request through (the request line, header syntax, Content-Length) and lenient
 * where real clients differ (a bare LF ends a line as well as CRLF; Host is not required).
 */
#ifndef LD_HTTP_H
#define LD_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#define LD_MAX_HEAD 8192 /* request line + headers + blank line, bytes; a longer head gets 431 */

enum ld_method {
    LD_GET,
    LD_HEAD,
    LD_NOT_ALLOWED, /* a method HTTP defines that latencyd does not serve (POST, PUT...): 405 */
};

/* A parsed request head. The pointers point into the buffer given to ld_http_parse. */
struct ld_request {
    enum ld_method method;
    const char *path; /* starts with '/'; not NUL-terminated: path_len bytes */
    size_t path_len;
    const char *query; /* after the '?', query_len bytes; NULL if the target had none */
    size_t query_len;
    bool keep_alive; /* HTTP/1.1 unless "Connection: close"; HTTP/1.0 only with keep-alive */
    bool has_body;   /* a Content-Length above 0 or a Transfer-Encoding: latencyd reads no
                      * bodies, so it answers and then closes the connection */
};

/* Where the head ends in buf[0..len): the length of the head including its blank line, or 0 if
 * the blank line has not arrived yet. from is how many bytes an earlier call already searched
 * (0 the first time), so a head that trickles in is scanned once, not once per byte. */
size_t ld_http_head_end(const char *buf, size_t len, size_t from);

/* Parses the head in buf[0..len) (as measured by ld_http_head_end) into *req. Returns 0, or the
 * HTTP status to answer with when the request cannot be served: 400 (malformed), 501 (a method
 * nobody defined), 505 (not HTTP/1.x); *why then says what was wrong, for the response body. */
int ld_http_parse(const char *buf, size_t len, struct ld_request *req, const char **why);

/* The reason phrase of an HTTP status ("Not Found"), or "Unknown" for a code it does not know. */
const char *ld_http_reason(int status);

/* True if a response with this status carries no body by definition (1xx, 204, 304). */
bool ld_http_bodyless(int status);

#endif
