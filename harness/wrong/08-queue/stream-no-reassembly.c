/* wrong: each piece's unfinished end is put as a line of its own (no reassembly across callbacks);
 * caught by stream_delivers_lines_as_they_arrive */
#include "bqueue.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define POLL_MS 1000 /* longest sleep in curl_multi_poll; libcurl wakes it when data comes */

/* One transfer. The write callback and the loop share it; both run on the calling thread. */
struct stream {
    struct bq *q;
    CURL *easy;
    char *buf; /* body bytes not yet put into q as lines: buf[0..len), of cap bytes */
    size_t len, cap;
    bool paused; /* the callback refused a piece; the loop must resume the transfer */
    int error;   /* our own reason for ending the transfer (-ENOMEM, -EPIPE), or 0 */
    struct stream_stats st;
};

/* Puts the complete lines at the front of s->buf into s->q, each as a malloc'd string without
 * its '\n', with put (bq_tryput from the callback, bq_put from the loop), and drops them from
 * the buffer. Stops at the first line that does not go in. Returns 0 when no complete line is
 * left, -EAGAIN when the queue was full, or -EPIPE / -ENOMEM. */
static int put_lines(struct stream *s, int (*put)(struct bq *, void *))
{
    size_t start = 0;
    int rc = 0;
    char *nl;

    if (s->len == 0) /* nothing yet (and maybe no buffer at all) */
        return 0;
    while ((nl = memchr(s->buf + start, '\n', s->len - start)) != NULL) {
        size_t n = (size_t)(nl - (s->buf + start));
        char *line = malloc(n + 1);

        if (!line) {
            rc = -ENOMEM;
            break;
        }
        memcpy(line, s->buf + start, n);
        line[n] = '\0';
        rc = put(s->q, line);
        if (rc != 0) {
            free(line);
            break;
        }
        s->st.lines++;
        start += n + 1;
    }
    memmove(s->buf, s->buf + start, s->len - start);
    s->len -= start;
    return rc;
}

/* True if s->buf holds a complete line. */
static bool holds_line(const struct stream *s)
{
    return s->len > 0 && memchr(s->buf, '\n', s->len) != NULL;
}

/* Appends n bytes to s->buf. Returns 0 or -ENOMEM. */
static int append(struct stream *s, const char *data, size_t n)
{
    if (s->len + n > s->cap) {
        size_t cap = s->cap ? s->cap : 4096;
        char *grown;

        while (cap < s->len + n)
            cap *= 2;
        grown = realloc(s->buf, cap);
        if (!grown)
            return -ENOMEM;
        s->buf = grown;
        s->cap = cap;
    }
    memcpy(s->buf + s->len, data, n);
    s->len += n;
    if (s->len > s->st.peak_held)
        s->st.peak_held = s->len;
    return 0;
}

/* libcurl's write callback: a piece of the body. Never waits. */
static size_t on_body(char *data, size_t size, size_t nmemb, void *arg)
{
    struct stream *s = arg;
    size_t n = size * nmemb;
    int rc;

    if (holds_line(s)) { /* the queue was full last time: take nothing until there is room */
        s->paused = true;
        s->st.pauses++;
        return CURL_WRITEFUNC_PAUSE;
    }
    rc = append(s, data, n);
    if (rc == 0)
        rc = put_lines(s, bq_tryput);
    if (rc == 0 && s->len > 0 && append(s, "\n", 1) == 0)
        rc = put_lines(s, bq_tryput); /* the piece's end taken for a line's end */
    if (rc == 0 || rc == -EAGAIN)     /* -EAGAIN: the lines left wait in the buffer */
        return n;
    s->error = rc;
    return 0; /* anything but n ends the transfer (CURLE_WRITE_ERROR) */
}

/* What a finished transfer's code means, as a negative errno (0 for a whole body). */
static int error_of(const struct stream *s, CURLcode code)
{
    switch (code) {
    case CURLE_OK:
        return 0;
    case CURLE_WRITE_ERROR:
        return s->error ? s->error : -EIO;
    case CURLE_COULDNT_CONNECT:
        return -ECONNREFUSED;
    case CURLE_HTTP_RETURNED_ERROR:
        return -EPROTO;
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
        return -EINVAL;
    case CURLE_OUT_OF_MEMORY:
        return -ENOMEM;
    default:
        return -EIO; /* the server hung up mid-body (CURLE_PARTIAL_FILE), and the rest */
    }
}

/* Drives the transfer to its end on this thread: perform, put the held lines (sleeping in
 * bq_put while the queue is full), resume a paused transfer, sleep in curl_multi_poll until
 * the socket has more. Returns the transfer's outcome as a negative errno, or 0. */
static int drive(struct stream *s, CURLM *multi)
{
    CURLMsg *msg;
    int running = 1, left, rc;

    while (running) {
        if (curl_multi_perform(multi, &running) != CURLM_OK)
            return -EIO;
        rc = put_lines(s, bq_put); /* blocks while full: the transfer is paused, or idle */
        if (rc != 0)
            return rc; /* -EPIPE: the consumers closed the queue; -ENOMEM */
        if (s->paused) {
            s->paused = false;
            s->st.resumes++;
            /* May call on_body at once with the piece it refused, which may pause again. */
            if (curl_easy_pause(s->easy, CURLPAUSE_CONT) != CURLE_OK)
                return -EIO;
            running = 1;
            continue;
        }
        if (running && curl_multi_poll(multi, NULL, 0, POLL_MS, NULL) != CURLM_OK)
            return -EIO;
    }
    while ((msg = curl_multi_info_read(multi, &left)) != NULL)
        if (msg->msg == CURLMSG_DONE)
            return error_of(s, msg->data.result);
    return -EIO;
}

/* Sets up the easy handle for url, writing into s. Returns 0 or a negative errno. */
static int setup(struct stream *s, const char *url)
{
    s->easy = curl_easy_init();
    if (!s->easy)
        return -ENOMEM;
    if (curl_easy_setopt(s->easy, CURLOPT_URL, url) != CURLE_OK ||
        curl_easy_setopt(s->easy, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
        curl_easy_setopt(s->easy, CURLOPT_FAILONERROR, 1L) != CURLE_OK ||
        curl_easy_setopt(s->easy, CURLOPT_WRITEFUNCTION, on_body) != CURLE_OK ||
        curl_easy_setopt(s->easy, CURLOPT_WRITEDATA, s) != CURLE_OK)
        return -EINVAL;
    return 0;
}

int stream_lines(const char *url, struct bq *q, struct stream_stats *stats)
{
    struct stream s = { .q = q };
    CURLM *multi = NULL;
    int rc;

    if (stats)
        *stats = s.st;
    if (!url || !q)
        return -EINVAL;
    rc = setup(&s, url);
    if (rc == 0 && !(multi = curl_multi_init()))
        rc = -ENOMEM;
    if (rc == 0 && curl_multi_add_handle(multi, s.easy) != CURLM_OK)
        rc = -ENOMEM;
    if (rc == 0)
        rc = drive(&s, multi);
    /* A whole body may end without a '\n': its last bytes are a line too. */
    if (rc == 0 && s.len > 0 && append(&s, "\n", 1) == 0)
        rc = put_lines(&s, bq_put);
    if (multi) {
        curl_multi_remove_handle(multi, s.easy); /* before either is cleaned up */
        curl_multi_cleanup(multi);
    }
    curl_easy_cleanup(s.easy);
    free(s.buf);
    bq_close(q, rc); /* consumers get rc (-EPIPE for a whole body) after the last line */
    if (stats)
        *stats = s.st;
    return rc;
}
