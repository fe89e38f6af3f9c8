/* Wrong: each transfer runs on the loop to its end before the next is added, so n slow URLs
 * take n delays. Caught by ev_fetch_concurrent_on_one_thread. */
#include "ev_curl.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

/* What ev_fetch_all's callbacks share. Loop thread only. */
struct session {
    struct ev_loop *loop;
    CURLM *multi;
    struct ev_timer timer; /* libcurl's one timeout */
    struct fetch_result *out;
    CURL **easy; /* easy[i] is out[i]'s transfer, NULL when none is running */
    size_t left; /* transfers added and not finished */
    int rc;      /* 0, or how the multi interface itself failed (-EIO, -ENOMEM) */
};

#define WATCH_IN  1 /* bits of what the loop watches on a socket, kept with curl_multi_assign */
#define WATCH_OUT 2

/* Records how a finished transfer ended, in its own result (fetch_finish: the errno,
 * libcurl's code and words, "" for an empty body), and frees the transfer. */
static void finish(struct session *s, CURL *easy, CURLcode code)
{
    struct fetch_result *r;
    char *priv = NULL;

    curl_easy_getinfo(easy, CURLINFO_PRIVATE, &priv);
    r = (struct fetch_result *)priv;
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &r->status);
    fetch_finish(r, code);
    s->easy[r - s->out] = NULL;
    curl_multi_remove_handle(s->multi, easy);
    curl_easy_cleanup(easy);
    s->left--;
}

/* After every step: collect the transfers that finished; stop the loop after the last. */
static void step(struct session *s, curl_socket_t fd, int select)
{
    int running;
    CURLMsg *msg;

    if (curl_multi_socket_action(s->multi, fd, select, &running) != CURLM_OK && s->rc == 0)
        s->rc = -EIO;
    while ((msg = curl_multi_info_read(s->multi, &running)))
        if (msg->msg == CURLMSG_DONE)
            finish(s, msg->easy_handle, msg->data.result);
    if (s->left == 0 || s->rc != 0)
        ev_stop(s->loop);
}

static void on_readable(struct ev_loop *loop, int fd, void *arg)
{
    (void)loop;
    step(arg, fd, CURL_CSELECT_IN);
}

static void on_writable(struct ev_loop *loop, int fd, void *arg)
{
    (void)loop;
    step(arg, fd, CURL_CSELECT_OUT);
}

static void on_timeout(struct ev_loop *loop, void *arg)
{
    (void)loop;
    step(arg, CURL_SOCKET_TIMEOUT, 0);
}

/* CURLMOPT_SOCKETFUNCTION: watch fd for what libcurl asks, and no more. socketp is what this
 * function stored for fd last time (the WATCH_ bits), NULL for a new socket. */
static int on_socket(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
    struct session *s = userp;
    int old = (int)(intptr_t)socketp, want = 0, rc = 0;

    (void)easy;
    if (what == CURL_POLL_IN || what == CURL_POLL_INOUT)
        want |= WATCH_IN;
    if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT)
        want |= WATCH_OUT;
    if ((old & WATCH_IN) && !(want & WATCH_IN))
        ev_remove_reader(s->loop, fd);
    if ((old & WATCH_OUT) && !(want & WATCH_OUT))
        ev_remove_writer(s->loop, fd);
    if (!(old & WATCH_IN) && (want & WATCH_IN))
        rc = ev_add_reader(s->loop, fd, on_readable, s);
    if (rc == 0 && !(old & WATCH_OUT) && (want & WATCH_OUT))
        rc = ev_add_writer(s->loop, fd, on_writable, s);
    if (rc != 0) {
        s->rc = rc;
        return -1; /* libcurl fails the transfers on this socket */
    }
    if (what != CURL_POLL_REMOVE)
        curl_multi_assign(s->multi, fd, (void *)(intptr_t)want);
    return 0;
}

/* CURLMOPT_TIMERFUNCTION: libcurl's one timeout, moved (or cancelled, for -1). libcurl must not
 * be called from in here, so even 0 ms goes through the loop. */
static int on_timer(CURLM *multi, long timeout_ms, void *userp)
{
    struct session *s = userp;
    int rc;

    (void)multi;
    ev_timer_cancel(s->loop, &s->timer); /* -ENOENT when it was not armed: fine */
    if (timeout_ms < 0)
        return 0;
    if ((rc = ev_call_later(s->loop, &s->timer, timeout_ms, on_timeout, s)) != 0) {
        s->rc = rc;
        return -1;
    }
    return 0;
}

/* Makes the transfer for url, writing into r, and adds it to the multi handle. Returns
 * CURLE_OK, or why not (r then records it, as fetch_finish does). */
static CURLcode add_transfer(struct session *s, const char *url, struct fetch_result *r)
{
    CURL *easy = curl_easy_init();
    CURLcode rc;

    if (!easy) {
        fetch_finish(r, CURLE_OUT_OF_MEMORY);
        return CURLE_OUT_OF_MEMORY;
    }
    if ((rc = curl_easy_setopt(easy, CURLOPT_URL, url)) != CURLE_OK ||
        (rc = curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, fetch_body_append)) != CURLE_OK ||
        (rc = curl_easy_setopt(easy, CURLOPT_WRITEDATA, r)) != CURLE_OK ||
        (rc = curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, r->curl_text)) != CURLE_OK ||
        (rc = curl_easy_setopt(easy, CURLOPT_PRIVATE, r)) != CURLE_OK ||
        (rc = curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L)) != CURLE_OK ||
        (rc = curl_multi_add_handle(s->multi, easy) == CURLM_OK ? CURLE_OK : CURLE_FAILED_INIT) !=
            CURLE_OK) {
        curl_easy_cleanup(easy);
        fetch_finish(r, rc);
        return rc;
    }
    s->easy[r - s->out] = easy;
    s->left++;
    return CURLE_OK;
}

int ev_fetch_all(struct ev_loop *loop, const char *const *urls, size_t n, struct fetch_result *out)
{
    struct session s = { .loop = loop, .out = out };
    int rc = 0;

    if (!loop || (n > 0 && (!urls || !out)))
        return -EINVAL;
    if (ev_is_running(loop))
        return -EBUSY;
    if (n == 0)
        return 0;
    if (!(s.easy = calloc(n, sizeof(*s.easy))))
        return -ENOMEM;
    if (!(s.multi = curl_multi_init())) {
        free(s.easy);
        return -ENOMEM;
    }
    if (curl_multi_setopt(s.multi, CURLMOPT_SOCKETFUNCTION, on_socket) != CURLM_OK ||
        curl_multi_setopt(s.multi, CURLMOPT_SOCKETDATA, &s) != CURLM_OK ||
        curl_multi_setopt(s.multi, CURLMOPT_TIMERFUNCTION, on_timer) != CURLM_OK ||
        curl_multi_setopt(s.multi, CURLMOPT_TIMERDATA, &s) != CURLM_OK) {
        curl_multi_cleanup(s.multi);
        free(s.easy);
        return -EIO;
    }
    for (size_t i = 0; i < n; i++) {
        out[i] = (struct fetch_result){ 0 };
        if (!urls[i])
            fetch_finish(&out[i], CURLE_URL_MALFORMAT); /* no URL at all: -EINVAL */
        else
            add_transfer(&s, urls[i], &out[i]); /* a failure is out[i]'s own */
        /* The mistake: each transfer runs to its end before the next is added. */
        if (rc == 0 && s.left > 0)
            rc = ev_run(loop);
    }
    if (rc == 0)
        rc = s.rc;
    ev_timer_cancel(loop, &s.timer);
    for (size_t i = 0; i < n; i++) { /* still running: stopped early, or a failure */
        if (s.easy[i]) {
            finish(&s, s.easy[i], CURLE_ABORTED_BY_CALLBACK);
            out[i].error = -ECANCELED;
        }
    }
    if (rc != 0)
        ev_fetch_results_free(out, n); /* on an error return, out holds nothing */
    curl_multi_cleanup(s.multi);
    free(s.easy);
    return rc;
}

void ev_fetch_results_free(struct fetch_result *out, size_t n)
{
    for (size_t i = 0; i < n; i++)
        fetch_result_free(&out[i]);
}
