/* ld_conn.c: one connection's life in latencyd: read a request head, answer it, then read the
 * next one (keep-alive) or close (see ld_core.h for the states).
 *
 * Every function here runs on the loop's thread and never blocks: a read or write that would
 * block returns EAGAIN, and the connection waits for epoll to say it can go on. A function that
 * may close the connection returns false when it did, and its caller must not touch c again.
 */
#define _GNU_SOURCE
#include "ld_core.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "clock.h"

/* Pieces per sendmsg: the head and up to 7 slices of the pattern (364 KB). */
#define LD_IOV 8
/* Bytes discarded per event while lingering: a client that keeps sending cannot hog the loop. */
#define LD_DRAIN_PER_EVENT (64 * 1024)

/* Changes what epoll watches for c; false (and c closed) if epoll refuses. */
static bool watch(struct ld_server *s, struct ld_conn *c, uint32_t events)
{
    struct epoll_event ev = { .events = events, .data.ptr = c };

    if (c->events == events)
        return true;
    if (epoll_ctl(s->epfd, EPOLL_CTL_MOD, c->fd, &ev) != 0) {
        ld_conn_close(s, c);
        return false;
    }
    c->events = events;
    return true;
}

/* Arms c's timer ms from now; false (and c closed) if the heap cannot grow. */
static bool arm_in(struct ld_server *s, struct ld_conn *c, int64_t ms)
{
    if (ld_heap_arm(&s->timers, &c->timer, h_now_ns() + ms * H_NS_PER_MS) != 0) {
        ld_conn_close(s, c);
        return false;
    }
    return true;
}

int ld_conn_open(struct ld_server *s, int fd)
{
    struct ld_conn *c = malloc(sizeof(*c));
    struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP };

    if (!c)
        return -ENOMEM;
    memset(c, 0, offsetof(struct ld_conn, in)); /* the input buffer needs no clearing */
    c->fd = fd;
    c->state = LD_READING;
    c->events = ev.events;
    ev.data.ptr = c;
    ld_timer_init(&c->timer);
    if (ld_heap_arm(&s->timers, &c->timer,
                    h_now_ns() + s->config.header_timeout_ms * H_NS_PER_MS)) {
        free(c);
        return -ENOMEM;
    }
    if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
        int err = -errno;

        ld_heap_cancel(&s->timers, &c->timer);
        free(c);
        return err;
    }
    c->next = s->conns;
    if (s->conns)
        s->conns->prev = c;
    s->conns = c;
    s->n_conns++;
    return 0;
}

void ld_conn_close(struct ld_server *s, struct ld_conn *c)
{
    ld_heap_cancel(&s->timers, &c->timer);
    if (c->in_flight)
        s->stats.in_flight--;
    if (c->prev)
        c->prev->next = c->next;
    else
        s->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    s->n_conns--;
    close(c->fd); /* also takes it out of epoll: nothing else holds this socket */
    free(c);
}

/* Answers a request that cannot be served, then closes (after draining the client's rest). */
static void refuse(struct ld_conn *c, int status, const char *why)
{
    char text[160];

    snprintf(text, sizeof(text), "%d %s: %s\n", status, ld_http_reason(status), why);
    c->keep_alive = false;
    c->linger = true;
    ld_respond(c, status, "text/plain", text, 0, false);
}

/* The answer is out: count it, then wait for the next request, or close. */
static bool finish_answer(struct ld_server *s, struct ld_conn *c)
{
    if (c->in_flight) {
        c->in_flight = false;
        s->stats.in_flight--;
    }
    if (c->keep_alive) {
        c->state = LD_READING;
        c->idle = c->in_len == 0;
        return arm_in(s, c, c->idle ? s->config.idle_timeout_ms : s->config.header_timeout_ms) &&
               watch(s, c, EPOLLIN | EPOLLRDHUP);
    }
    if (!c->linger) {
        ld_conn_close(s, c);
        return false;
    }
    /* Closing now, with the client's unread bytes in our receive buffer, would send a reset
     * that can destroy the answer before the client reads it. Shut down our side and drain. */
    shutdown(c->fd, SHUT_WR);
    c->state = LD_LINGERING;
    return arm_in(s, c, LD_LINGER_MS) && watch(s, c, EPOLLIN | EPOLLRDHUP);
}

/* Fills iov with what may be sent now: the rest of the head, then slices of the pattern. */
static int gather_output(const struct ld_server *s, const struct ld_conn *c, struct iovec *iov)
{
    int n = 0;

    if (c->head_sent < c->head_len)
        iov[n++] = (struct iovec){ (char *)c->head + c->head_sent, c->head_len - c->head_sent };
    for (size_t off = c->body_sent; off < c->body_ready && n < LD_IOV;) {
        size_t at = off % LD_PATTERN_LEN, len = LD_PATTERN_LEN - at;

        if (len > c->body_ready - off)
            len = c->body_ready - off;
        iov[n++] = (struct iovec){ (char *)s->pattern + at, len };
        off += len;
    }
    return n;
}

/* Sends what may be sent, all of it in one sendmsg when the socket takes it (one write per
 * response: split writes meet Nagle and delayed ACKs). */
static bool send_answer(struct ld_server *s, struct ld_conn *c)
{
    struct iovec iov[LD_IOV];
    int n;

    while ((n = gather_output(s, c, iov)) > 0) {
        struct msghdr msg = { .msg_iov = iov, .msg_iovlen = (size_t)n };
        /* MSG_NOSIGNAL: a client gone away makes this fail with EPIPE instead of raising
         * SIGPIPE, without touching the process's signal handling. */
        ssize_t sent = sendmsg(c->fd, &msg, MSG_NOSIGNAL);
        size_t from_head;

        if (sent < 0 && errno == EINTR)
            continue;
        if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            /* Dripping, the timer is the next byte's; otherwise it bounds a client that stops
             * reading. */
            if (c->body_ready == c->body_len && !arm_in(s, c, LD_SEND_TIMEOUT_MS))
                return false;
            return watch(s, c, EPOLLOUT | EPOLLRDHUP);
        }
        if (sent < 0) { /* EPIPE, ECONNRESET: the client is gone */
            ld_conn_close(s, c);
            return false;
        }
        from_head = c->head_len - c->head_sent;
        if (from_head > (size_t)sent)
            from_head = (size_t)sent;
        c->head_sent += from_head;
        c->body_sent += (size_t)sent - from_head;
    }
    if (c->body_sent < c->body_len) /* a drip between two bytes: its timer is armed */
        return watch(s, c, EPOLLRDHUP);
    return finish_answer(s, c);
}

/* Moves c along as far as it can go without waiting: parse the heads it has, answer what is due,
 * keep-alive into the next request. Returns false if c was closed. */
static bool advance(struct ld_server *s, struct ld_conn *c)
{
    for (;;) {
        struct ld_request req;
        const char *why;
        size_t end;
        int status;

        if (c->state == LD_SENDING) {
            if (!send_answer(s, c))
                return false;
            if (c->state == LD_SENDING || c->state == LD_LINGERING)
                return true;
            continue; /* back to LD_READING: a pipelined request may be waiting */
        }
        if (c->state != LD_READING)
            return c->state != LD_WAITING || watch(s, c, EPOLLRDHUP);
        end = ld_http_head_end(c->in, c->in_len, c->scanned);
        c->scanned = c->in_len;
        if (end == 0) {
            if (c->in_len < sizeof(c->in))
                return true; /* wait for more */
            refuse(c, 431, "the request head is over 8 KiB");
            continue;
        }
        ld_heap_cancel(&s->timers, &c->timer);
        if ((status = ld_http_parse(c->in, end, &req, &why)) != 0)
            refuse(c, status, why);
        else
            ld_route(s, c, &req);
        /* The route has copied what it needs from the head: drop it, keep what follows. */
        memmove(c->in, c->in + end, c->in_len - end);
        c->in_len -= end;
        c->scanned = 0;
    }
}

/* Reads what the client sent. Returns false if c was closed. */
static bool receive(struct ld_server *s, struct ld_conn *c)
{
    for (size_t drained = 0; drained < LD_DRAIN_PER_EVENT;) {
        char drain[4096];
        bool lingering = c->state == LD_LINGERING;
        char *to = lingering ? drain : c->in + c->in_len;
        size_t room = lingering ? sizeof(drain) : sizeof(c->in) - c->in_len;
        ssize_t n;

        if (room == 0)
            return true; /* a full buffer: advance() decides (431, or a head to answer) */
        n = read(c->fd, to, room);
        if (n > 0 && lingering)
            drained += (size_t)n;
        if (n > 0 && !lingering) {
            c->in_len += (size_t)n;
            if (c->idle) { /* the first byte of a request: its head must follow in time */
                c->idle = false;
                if (!arm_in(s, c, s->config.header_timeout_ms))
                    return false;
            }
        }
        if (n > 0 || (n < 0 && errno == EINTR))
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return true;
        ld_conn_close(s, c); /* end of file, or an error: the client is gone */
        return false;
    }
    return true; /* a client that keeps sending while we drain: the others get a turn first */
}

void ld_conn_event(struct ld_server *s, struct ld_conn *c, uint32_t events)
{
    if (c->state == LD_READING || c->state == LD_LINGERING) {
        if (receive(s, c))
            advance(s, c);
        return;
    }
    /* Waiting or sending: the client hanging up means nobody wants the answer any more. */
    if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
        ld_conn_close(s, c);
        return;
    }
    if (events & EPOLLOUT)
        advance(s, c);
}

void ld_conn_timer(struct ld_server *s, struct ld_conn *c)
{
    switch (c->state) {
    case LD_READING:
        if (c->idle) { /* an idle keep-alive connection: close it quietly */
            ld_conn_close(s, c);
            return;
        }
        s->stats.header_timeouts++;
        refuse(c, 408, "the request head took too long");
        break;
    case LD_WAITING: /* a /delay is over */
        c->state = LD_SENDING;
        break;
    case LD_SENDING:
        if (c->body_ready == c->body_len) { /* the send timeout: the client stopped reading */
            ld_conn_close(s, c);
            return;
        }
        c->body_ready++; /* a /drip tick: one more byte may go, the next one interval later */
        if (c->body_ready < c->body_len &&
            ld_heap_arm(&s->timers, &c->timer, c->timer.deadline_ns + c->drip_interval_ns)) {
            ld_conn_close(s, c);
            return;
        }
        break;
    case LD_LINGERING:
        ld_conn_close(s, c);
        return;
    }
    advance(s, c);
}
