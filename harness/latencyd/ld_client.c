/* ld_client.c: a small blocking HTTP/1.1 client (see ld_client.h). */
#define _GNU_SOURCE
#include "ld_client.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "ld_http.h"

/* The errno of a failed send or receive; a timeout shows as EAGAIN. */
static int io_error(void)
{
    return errno == EAGAIN || errno == EWOULDBLOCK ? -ETIMEDOUT : -errno;
}

int ld_client_connect(int port, int timeout_ms)
{
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    struct timeval tv = { .tv_sec = timeout_ms / 1000, .tv_usec = timeout_ms % 1000 * 1000 };
    int fd, err;

    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
        return -errno;
    /* On a blocking socket these also bound connect(), which then fails with EINPROGRESS. */
    if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0 ||
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) != 0 ||
        connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
        err = errno == EINPROGRESS ? -ETIMEDOUT : -errno;
        close(fd);
        return err;
    }
    return fd;
}

int ld_client_send(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return io_error();
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Reads the head, through its blank line, and not a byte further: the next response on the
 * connection stays where it is. It asks for at most the bytes that could complete the "\r\n\r\n"
 * at the end of a head (latencyd ends lines with CRLF), so it never reads past it.
 * Returns the head's length, 0 if the stream ended before its first byte, or a negative errno. */
static ssize_t read_head(int fd, char *head, size_t size)
{
    static const char blank[] = "\r\n\r\n";
    size_t len = 0;

    for (;;) {
        size_t matched = 0, want;
        ssize_t n;

        for (size_t m = 3; m > 0 && matched == 0; m--)
            if (len >= m && memcmp(head + len - m, blank, m) == 0)
                matched = m;
        want = 4 - matched;
        if (len + want >= size)
            return -EPROTO; /* a head larger than any latencyd sends */
        n = recv(fd, head + len, want, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return io_error();
        if (n == 0)
            return len == 0 ? 0 : -EPROTO;
        len += (size_t)n;
        if (len >= 4 && memcmp(head + len - 4, blank, 4) == 0) {
            head[len] = '\0';
            return (ssize_t)len;
        }
    }
}

/* The value of header name in head, or NULL. */
static const char *header(const char *head, const char *name)
{
    size_t len = strlen(name);

    for (const char *line = strchr(head, '\n'); line; line = strchr(line, '\n')) {
        line++;
        if (strncasecmp(line, name, len) == 0 && line[len] == ':')
            return line + len + 1 + strspn(line + len + 1, " \t");
    }
    return NULL;
}

/* Reads the body: want bytes, or to the end of the stream when want is -1. */
static int read_body(int fd, struct ld_response *r, long want)
{
    char chunk[16384];

    while (want < 0 || r->body_len < (size_t)want) {
        size_t take = sizeof(chunk);
        ssize_t n;

        if (want >= 0 && (size_t)want - r->body_len < take)
            take = (size_t)want - r->body_len;
        n = recv(fd, chunk, take, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return io_error();
        if (n == 0)
            return want < 0 ? 0 : -EPROTO; /* closed before the whole body came */
        if (r->body_cap > 0 && r->body_len < r->body_cap - 1) {
            size_t keep = r->body_cap - 1 - r->body_len;

            memcpy(r->body + r->body_len, chunk, (size_t)n < keep ? (size_t)n : keep);
            r->body[r->body_len + ((size_t)n < keep ? (size_t)n : keep)] = '\0';
        }
        r->body_len += (size_t)n;
    }
    return 0;
}

int ld_client_read(int fd, struct ld_response *r, bool head_request)
{
    char head[LD_MAX_HEAD];
    const char *v;
    ssize_t n;
    int rc;

    r->status = 0;
    r->content_length = -1;
    r->close = false;
    r->body_len = 0;
    if (r->body_cap > 0)
        r->body[0] = '\0';
    if ((n = read_head(fd, head, sizeof(head))) <= 0)
        return (int)n;
    if (sscanf(head, "HTTP/1.%*d %d", &r->status) != 1 || r->status < 100)
        return -EPROTO;
    if ((v = header(head, "Content-Length")))
        r->content_length = strtol(v, NULL, 10);
    r->close = (v = header(head, "Connection")) && strncasecmp(v, "close", 5) == 0;
    if (head_request || ld_http_bodyless(r->status))
        return r->status;
    if ((rc = read_body(fd, r, r->content_length)) < 0)
        return rc;
    return r->status;
}

int ld_client_get(int port, const char *path, struct ld_response *r)
{
    char request[512];
    int fd, rc;

    snprintf(request, sizeof(request),
             "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", path);
    if ((fd = ld_client_connect(port, LD_CLIENT_TIMEOUT_MS)) < 0)
        return fd;
    rc = ld_client_send(fd, request, strlen(request));
    if (rc == 0)
        rc = ld_client_read(fd, r, false);
    close(fd);
    return rc;
}
