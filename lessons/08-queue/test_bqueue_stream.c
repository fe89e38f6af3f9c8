/* test_bqueue_stream.c: lesson 08, part 2: stream_lines against latencyd's /lines.
 *
 * latencyd's /lines/<n>?interval=<ms>&size=<bytes> sends n numbered lines of size bytes, one
 * every interval ms ("000001 abcdefghijklmnopqrstuvwx\n"), and with &fail=<k> hangs up after
 * line k. stream_lines runs on a thread of the test's (a streamer), a consumer on another; both
 * are calls (harness/call.h) that the test awaits with a deadline. The consumer checks every
 * line it gets against what the server sent and notes when it came; the test asserts.
 *
 * This file also stands in for libcurl's curl_easy_pause, to count the resumes from outside:
 * the linker binds the lesson's calls to the definition below, which counts each call and
 * forwards it to libcurl's.
 */
#define _GNU_SOURCE /* dlsym's RTLD_NEXT */
#include <curl/curl.h>
#include <dlfcn.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "call.h"
#include "check.h"
#include "clock.h"
#include "proc.h"
#include "server.h"
#include "test_bqueue.h"

#define MAX_LINES     10000 /* lines a consumer notes the arrival of */
#define GIVE_UP_MS    15000 /* a consumer's get waits at most this long: a queue never closed */
#define STREAM_MS     10000 /* a stream_lines call must be over by then */
#define FIRST_LIMIT   1.50  /* the first line may come this times one interval late (best of 3) */
#define LINE_LATE_MS  50    /* any line may reach the consumer this late after it was sent */
#define CURL_PIECE    16384 /* CURL_MAX_WRITE_SIZE: the most libcurl hands over at once */
#define RSS_GROWTH_KB 1024  /* memory the 4 MiB stream may add at most, sampled as it runs */

/* ---- curl_easy_pause, counted ---- */

typedef CURLcode (*pause_fn)(CURL *, int);
static pause_fn real_pause;
static pthread_once_t real_once = PTHREAD_ONCE_INIT;
static atomic_long resumes_seen; /* calls with CURLPAUSE_CONT */

static void find_real_pause(void)
{
    real_pause = (pause_fn)dlsym(RTLD_NEXT, "curl_easy_pause");
}

CURLcode curl_easy_pause(CURL *handle, int bitmask)
{
    pthread_once(&real_once, find_real_pause);
    if (bitmask == CURLPAUSE_CONT)
        atomic_fetch_add(&resumes_seen, 1);
    return real_pause ? real_pause(handle, bitmask) : CURLE_FAILED_INIT;
}

/* ---- a consumer: takes lines until the queue fails, checking each ---- */

struct consumer {
    struct h_call call; /* first: a consumer is a call */
    struct bq *q;
    size_t size;     /* the lines' size on the wire, '\n' included; 0: /drip's letters */
    int late_ms;     /* sleeps this long before its first get */
    int slow_lines;  /* sleeps 1 ms after each of its first slow_lines lines */
    int close_after; /* closes q itself after this many lines (0: never) */
    long n;          /* lines it got */
    long bad;        /* lines that were not the next line the server sent */
    char first_bad[48];
    int64_t at_ns[MAX_LINES]; /* when line i came (h_now_ns) */
    int rc;                   /* what ended it: the queue's close status, or -ETIMEDOUT */
};

/* Is line (without its '\n') line number k of a /lines body of size-byte lines? */
static bool is_line(const char *line, long k, size_t size)
{
    char num[24];

    snprintf(num, sizeof(num), "%06ld ", k);
    if (strlen(line) != size - 1 || memcmp(line, num, 7) != 0)
        return false;
    for (size_t i = 7; i < size - 1; i++)
        if (line[i] != 'a' + (char)((i - 7) % 26))
            return false;
    return true;
}

/* Is line the n-byte body of /drip/<n>: 'a'..'z' repeated? */
static bool is_drip(const char *line, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (line[i] != 'a' + (char)(i % 26))
            return false;
    return strlen(line) == n;
}

static void consumer_fn(struct h_call *c)
{
    struct consumer *w = (struct consumer *)c;
    struct timespec give_up = ts_of(h_deadline_ms(GIVE_UP_MS));
    void *item;

    h_sleep_ms(w->late_ms);
    while ((w->rc = bq_timedget(w->q, &item, &give_up)) == 0) {
        char *line = item;
        bool ok = line && (w->size ? is_line(line, w->n + 1, w->size) : is_drip(line, 40));

        if (w->n < MAX_LINES)
            w->at_ns[w->n] = h_now_ns();
        if (!ok && w->bad++ == 0)
            snprintf(w->first_bad, sizeof(w->first_bad), "%s", line ? line : "(NULL)");
        w->n++;
        free(line);
        if (w->n <= w->slow_lines)
            h_sleep_ms(1);
        if (w->close_after > 0 && w->n == w->close_after)
            bq_close(w->q, 0); /* this consumer gives up */
    }
}

/* ---- a streamer: stream_lines on a thread of its own ---- */

struct streamer {
    struct h_call call; /* first: a streamer is a call */
    char url[160];
    struct bq *q;
    struct stream_stats st;
    int rc;
    int64_t called_ns;
};

static void streamer_fn(struct h_call *c)
{
    struct streamer *s = (struct streamer *)c;

    s->called_ns = h_now_ns();
    s->rc = stream_lines(s->url, s->q, &s->st);
}

/* One run: a queue of capacity, a consumer like `like`, stream_lines of url. Static: calls
 * that never return keep their structs. */
static struct run {
    struct bq q;
    struct consumer con;
    struct streamer str;
} runs[3 * H_TRIES + 4];
static int runs_used;

/* Waits for the consumer after the streamer returned; if the queue was never closed, closes it
 * so that the consumer stops, and says so. */
static void finish_consumer(struct run *r)
{
    bool done = h_call_wait(&r->con.call, WAKE_WITHIN_MS);

    if (!done) {
        H_ASSERT(false,
                 "stream_lines returned %s, but the consumer was still waiting for a line "
                 "%d ms later: close the queue at the end (bq_close), on every path",
                 h_errname(r->str.rc), WAKE_WITHIN_MS);
        bq_close(&r->q, 0);
        done = h_call_wait(&r->con.call, WAKE_WITHIN_MS);
    }
    H_ASSERT_FATAL(done, "the consumer never returned from bq_timedget");
    h_call_join(&r->con.call);
}

/* Streams url through a queue of capacity to a consumer like `like`. While it runs, calls
 * watch(arg) every 2 ms if watch is not NULL. Returns the run, both calls over. */
static struct run *run_stream(const char *url, size_t capacity, const struct consumer *like,
                              void (*watch)(void *), void *arg)
{
    struct run *r;
    int64_t give_up = h_deadline_ms(STREAM_MS);

    H_ASSERT_FATAL(runs_used < (int)(sizeof(runs) / sizeof(*runs)), "no runs left");
    r = &runs[runs_used++];
    r->con = *like;
    r->con.q = &r->q;
    r->str = (struct streamer){ .q = &r->q };
    snprintf(r->str.url, sizeof(r->str.url), "%s", url);
    H_ASSERT_RC_FATAL(bq_init(&r->q, capacity), 0);
    H_ASSERT_RC_FATAL(h_call_start(&r->con.call, consumer_fn), 0);
    H_ASSERT_RC_FATAL(h_call_start(&r->str.call, streamer_fn), 0);
    while (!h_call_wait(&r->str.call, watch ? 2 : STREAM_MS) && h_now_ns() < give_up)
        if (watch)
            watch(arg);
    H_ASSERT_FATAL(h_call_wait(&r->str.call, 0),
                   "stream_lines(\"%s\") had not returned after %d ms: is the transfer resumed "
                   "once the queue has room?",
                   url, STREAM_MS);
    h_call_join(&r->str.call);
    finish_consumer(r);
    return r;
}

static void run_destroy(struct run *r)
{
    void *item;

    while (bq_tryget(&r->q, &item) == 0)
        free(item);
    H_ASSERT_RC(bq_destroy(&r->q), 0);
}

/* The consumer got n lines, every one the next the server sent. */
static bool lines_ok(const struct run *r, long n, const char *what)
{
    return H_ASSERT(r->con.n == n && r->con.bad == 0,
                    "%s: the consumer got %ld lines, want %ld, and %ld were not the next line "
                    "the server sent (the first: \"%.40s\"): is each line put whole, once, in "
                    "order, even when it came in two pieces?",
                    what, r->con.n, n, r->con.bad, r->con.first_bad);
}

/* ---- lines as they arrive ---- */

#define INTERVAL_MS 100 /* between two lines of the slow stream */
#define SLOW_LINES  6

struct timing {
    const struct h_server *srv;
    double first_s, late_s; /* the best attempt's first line, and its latest line's lateness */
    double best_s;          /* that attempt's figure (see first_line_attempt) */
};

/* One slow stream, for h_best_time: when the first line came, or one interval more than the
 * latest any line came after the server sent it if that is later (both are one interval for a
 * stream that hands each line on as it comes), in seconds; or -1 if wrong. */
static double first_line_attempt(void *arg)
{
    struct timing *t = arg;
    struct consumer like = { .size = 32 };
    char url[160];
    struct run *r;
    double first, late = 0, figure;

    h_server_url(t->srv, url, sizeof(url), "/lines/%d?interval=%d", SLOW_LINES, INTERVAL_MS);
    r = run_stream(url, 16, &like, NULL, NULL);
    if (!h_assert_rc(r->str.rc, 0, false, __FILE__, __LINE__, "stream_lines(/lines/6)") ||
        !lines_ok(r, SLOW_LINES, "/lines/6?interval=100") ||
        !H_ASSERT(r->con.rc == -EPIPE,
                  "after the last line, the consumer's get returned %s, want -EPIPE: close the "
                  "queue with 0 at the end of a whole body",
                  h_errname(r->con.rc))) {
        run_destroy(r);
        return -1;
    }
    H_ASSERT_EQ(r->str.st.lines, SLOW_LINES);
    /* Line k leaves the server k intervals after the request: each must reach the consumer
     * soon after, not when the body is over. */
    first = h_ns_to_s(r->con.at_ns[0] - r->str.called_ns);
    for (int k = 1; k <= SLOW_LINES; k++) {
        double l = h_ns_to_s(r->con.at_ns[k - 1] - r->str.called_ns) - k * INTERVAL_MS / 1000.0;

        late = l > late ? l : late;
    }
    run_destroy(r);
    figure = first > INTERVAL_MS / 1000.0 + late ? first : INTERVAL_MS / 1000.0 + late;
    if (t->best_s < 0 || figure < t->best_s)
        *t = (struct timing){ .srv = t->srv, .first_s = first, .late_s = late, .best_s = figure };
    return figure;
}

void stream_delivers_lines_as_they_arrive(void)
{
    struct h_server srv;
    struct timing t = { .srv = &srv, .best_s = -1 };
    struct consumer big = { .size = 500 }, drip = { .size = 0 };
    char url[160];
    struct run *r;
    double best;
    int fds;

    H_ASSERT_RC_FATAL(h_server_start(&srv, NULL), 0);
    fds = h_count_fds();
    best = h_best_time(first_line_attempt, &t, INTERVAL_MS * FIRST_LIMIT / 1000);
    if (best >= 0 && !h_sanitized()) {
        H_ASSERT_TIME_WITHIN("the first of 6 lines 100 ms apart, after the call", t.first_s,
                             INTERVAL_MS / 1000.0, FIRST_LIMIT);
        H_ASSERT(t.late_s <= LINE_LATE_MS / 1000.0,
                 "a line reached the consumer %.0f ms after the server sent it, allowed %d ms: "
                 "put each line into the queue as soon as its '\\n' has come",
                 t.late_s * 1000, LINE_LATE_MS);
    }
    /* 300 lines of 500 bytes back to back: libcurl's pieces (up to 16 KiB) cut lines in two. */
    h_server_url(&srv, url, sizeof(url), "/lines/300?interval=0&size=500");
    r = run_stream(url, 1000, &big, NULL, NULL);
    H_ASSERT_RC(r->str.rc, 0);
    lines_ok(r, 300, "/lines/300?size=500");
    run_destroy(r);
    /* A byte at a time, and no '\n' at the end: one line, once the body is whole. */
    h_server_url(&srv, url, sizeof(url), "/drip/40?interval=2");
    r = run_stream(url, 4, &drip, NULL, NULL);
    H_ASSERT_RC(r->str.rc, 0);
    H_ASSERT(r->con.n == 1 && r->con.bad == 0,
             "/drip/40 (40 letters, one every 2 ms, no '\\n') gave %ld lines (first: \"%.40s\"), "
             "want 1 line of 40 letters: a last line without '\\n' is a line too",
             r->con.n, r->con.bad ? r->con.first_bad : "");
    run_destroy(r);
    H_ASSERT_EQ(h_count_fds(), fds); /* every handle, and its socket, cleaned up */
    H_ASSERT_RC(h_server_stop(&srv), 0);
}

/* ---- backpressure ---- */

#define BIG_LINES 8000 /* lines of 512 bytes back to back: 4 MiB (a fifth under a sanitizer) */
#define BIG_SIZE  512
#define SLOW_HEAD 200 /* the consumer sleeps 1 ms after each of its first 200 lines */

/* This process's resident memory now, in KiB (VmRSS), or -1. */
static long rss_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;

    if (!f)
        return -1;
    while (fgets(line, sizeof(line), f))
        if (strncmp(line, "VmRSS:", 6) == 0)
            kb = atol(line + 6);
    fclose(f);
    return kb;
}

static void watch_rss(void *arg)
{
    long *peak = arg, now = rss_kb();

    if (now > *peak)
        *peak = now;
}

#define LATE_MS    300  /* a consumer that takes nothing for this long... */
#define LATE_LINES 200  /* ...of a body of this many lines back to back */
#define LATE_CPU   0.25 /* the process's CPU share meanwhile, at most (best of 3) */

/* One stream to a consumer that starts LATE_MS late, measured: the stream must wait for it
 * asleep. Returns 0, or -1 if the stream went wrong. */
static int late_consumer_stretch(void *arg, struct h_usage *u)
{
    const struct h_server *srv = arg;
    struct consumer late = { .size = BIG_SIZE, .late_ms = LATE_MS };
    char url[160];
    struct run *r;
    bool ok;

    h_server_url(srv, url, sizeof(url), "/lines/%d?interval=0&size=%d", LATE_LINES, BIG_SIZE);
    h_usage_start(u);
    r = run_stream(url, 4, &late, NULL, NULL);
    h_usage_stop(u);
    ok = h_assert_rc(r->str.rc, 0, false, __FILE__, __LINE__, "stream_lines") &&
         lines_ok(r, LATE_LINES, "a consumer that starts 300 ms late");
    run_destroy(r);
    return ok ? 0 : -1;
}

void stream_pauses_when_queue_is_full(void)
{
    struct h_server srv;
    struct consumer slow = { .size = BIG_SIZE, .slow_lines = SLOW_HEAD };
    char url[160];
    struct run *r;
    long before, peak;
    const struct stream_stats *st;
    int lines = h_sanitized() ? BIG_LINES / 5 : BIG_LINES;

    H_ASSERT_RC_FATAL(h_server_start(&srv, NULL), 0);
    h_server_url(&srv, url, sizeof(url), "/lines/%d?interval=0&size=%d", lines, BIG_SIZE);
    /* A short stream first: libcurl and the C library make what they keep for later. */
    r = run_stream(url, 4, &(struct consumer){ .size = BIG_SIZE }, NULL, NULL);
    run_destroy(r);
    atomic_store(&resumes_seen, 0);
    peak = before = rss_kb();
    r = run_stream(url, 4, &slow, watch_rss, &peak);
    st = &r->str.st;
    H_ASSERT_RC(r->str.rc, 0);
    lines_ok(r, lines, "512-byte lines back to back through a queue of 4 to a slow consumer");
    H_ASSERT_EQ(r->con.rc, -EPIPE);
    H_ASSERT(st->pauses > 0 && st->resumes == st->pauses,
             "a slow consumer and a queue of 4, and the transfer was paused %ld times and "
             "resumed %ld times: when the queue is full, return CURL_WRITEFUNC_PAUSE (do not "
             "wait in the callback), and resume with curl_easy_pause once there is room",
             st->pauses, st->resumes);
    H_ASSERT(atomic_load(&resumes_seen) == st->resumes,
             "stream_lines says it resumed %ld times, but called curl_easy_pause(CURLPAUSE_CONT) "
             "%ld times",
             st->resumes, atomic_load(&resumes_seen));
    H_ASSERT(st->peak_held <= BIG_SIZE + 2 * CURL_PIECE,
             "stream_lines held %zu bytes outside the queue at once, allowed %d (a line and two "
             "of libcurl's pieces): take no more of the body while lines wait for room",
             st->peak_held, BIG_SIZE + 2 * CURL_PIECE);
    /* From outside: a stream that buffered the body would grow by megabytes. (Not under the
     * sanitizers, whose bookkeeping and freed-memory quarantine grow on their own.) */
    if (!h_sanitized() && before > 0)
        H_ASSERT(peak - before <= RSS_GROWTH_KB,
                 "memory grew by %ld KiB while 4 MiB streamed through a queue of 4, allowed "
                 "%d KiB: the body is being buffered, not paused",
                 peak - before, RSS_GROWTH_KB);
    run_destroy(r);
    /* While the queue is full and nobody takes anything, the stream waits asleep. */
    H_ASSERT_MOSTLY_ASLEEP_BEST("stream_lines with a full queue and a consumer 300 ms late "
                                "(while paused, sleep in bq_put: no polling loop)",
                                late_consumer_stretch, &srv, LATE_CPU);
    H_ASSERT_RC(h_server_stop(&srv), 0);
}

/* ---- errors ---- */

/* A port on 127.0.0.1 where nothing listens (bound, not listening). Returns the socket. */
static int refusing_socket(int *port)
{
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    if (fd < 0)
        return -1;
    if (bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) != 0) {
        close(fd);
        return -1;
    }
    *port = ntohs(a.sin_port);
    return fd;
}

void stream_error_reaches_consumer_after_lines(void)
{
    struct h_server srv;
    struct consumer like = { .size = 32 }, quitter = { .size = 32, .close_after = 2 };
    char url[160];
    struct run *r;
    int refuser, port = 0;

    H_ASSERT_RC_FATAL(h_server_start(&srv, NULL), 0);
    /* The server hangs up after 7 of 20 lines: 7 lines, then the error, for both. */
    h_server_url(&srv, url, sizeof(url), "/lines/20?interval=5&fail=7");
    r = run_stream(url, 4, &like, NULL, NULL);
    H_ASSERT_RC(r->str.rc, -EIO);
    lines_ok(r, 7, "/lines/20?fail=7");
    H_ASSERT(r->con.rc == -EIO,
             "after the 7 lines that came, the consumer's get returned %s, want -EIO: close the "
             "queue with the transfer's error (bq_close(q, -EIO)), not as a whole body",
             h_errname(r->con.rc));
    H_ASSERT_EQ(r->str.st.lines, 7);
    run_destroy(r);
    /* An error status: no line, the error. */
    h_server_url(&srv, url, sizeof(url), "/status/404");
    r = run_stream(url, 4, &like, NULL, NULL);
    H_ASSERT_RC(r->str.rc, -EPROTO);
    H_ASSERT_EQ(r->con.n, 0);
    H_ASSERT_RC(r->con.rc, -EPROTO);
    run_destroy(r);
    /* The consumer gives up after 2 of 100 lines 50 ms apart (5 s): the stream stops soon. */
    h_server_url(&srv, url, sizeof(url), "/lines/100?interval=50");
    r = run_stream(url, 4, &quitter, NULL, NULL);
    H_ASSERT_RC(r->str.rc, -EPIPE);
    H_ASSERT(r->str.call.returned_ns - r->str.called_ns < 1000 * H_NS_PER_MS,
             "the consumer closed the queue after 2 lines, and stream_lines went on for %.3f s: "
             "a put that fails with -EPIPE ends the transfer",
             h_ns_to_s(r->str.call.returned_ns - r->str.called_ns));
    run_destroy(r);
    H_ASSERT_RC(h_server_stop(&srv), 0);
    /* Nothing listens: the error, and no line. */
    refuser = refusing_socket(&port);
    H_ASSERT_FATAL(refuser >= 0, "no free port for the refused connection");
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/lines/3", port);
    r = run_stream(url, 4, &like, NULL, NULL);
    close(refuser);
    H_ASSERT_RC(r->str.rc, -ECONNREFUSED);
    H_ASSERT_RC(r->con.rc, -ECONNREFUSED);
    run_destroy(r);
    H_ASSERT_RC(stream_lines(NULL, &r->q, NULL), -EINVAL);
    H_ASSERT_RC(stream_lines(url, NULL, NULL), -EINVAL);
}
