/* ld_client.h: a small blocking HTTP/1.1 client over a plain socket, for latencyd's own tests
 * and the fixture's /stats (server.h). Not libcurl on purpose: it can send anything, malformed
 * requests included, a byte at a time if need be, and it shares no state with the lessons' use
 * of libcurl.
 *
 * Every call blocks at most the timeout given to ld_client_connect (per send or read call).
 * Thread-safe (no shared state); one connection belongs to one thread at a time.
 */
#ifndef LD_CLIENT_H
#define LD_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

#define LD_CLIENT_TIMEOUT_MS 5000 /* the timeout the fixture's own requests use */

/* Connects to 127.0.0.1:port. Returns the socket (close it with close()), or a negative errno:
 * -ECONNREFUSED when nothing listens. Every later send and read waits at most timeout_ms. */
int ld_client_connect(int port, int timeout_ms);

/* Sends len bytes of buf. Returns 0, or a negative errno (-ETIMEDOUT, -EPIPE, -ECONNRESET). */
int ld_client_send(int fd, const char *buf, size_t len);

/* One response. The caller provides body (and body_cap, its size; may be 0); ld_client_read
 * stores the body's first body_cap - 1 bytes there, NUL-terminated. */
struct ld_response {
    int status;          /* 200, 404... */
    long content_length; /* from the head; -1 if it had none */
    bool close;          /* the server said "Connection: close" */
    size_t body_len;     /* bytes of body received, all of them (even beyond body_cap) */
    char *body;
    size_t body_cap;
};

/* Reads one response from fd: its head, then its body (Content-Length bytes; none for a HEAD
 * request, a 204 or a 304; to the end of the stream when there is no Content-Length). Reads no
 * further, so the next response on a keep-alive connection stays for the next call.
 * Returns the status (> 0); 0 if the server closed the connection before sending a byte; or a
 * negative errno (-ETIMEDOUT, -ECONNRESET, -EPROTO for something that is not HTTP/1.x). */
int ld_client_read(int fd, struct ld_response *r, bool head_request);

/* Connects, sends "GET path" (Connection: close), reads the answer, closes. Returns the status,
 * 0 or a negative errno as ld_client_read does (or as ld_client_connect does). */
int ld_client_get(int port, const char *path, struct ld_response *r);

#endif
