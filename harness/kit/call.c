/* call.c: a function on a thread of its own, awaited with a deadline (see call.h). */
#define _GNU_SOURCE
#include "call.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"

static void *call_main(void *arg)
{
    struct h_call *c = arg;

    pthread_mutex_lock(&c->lock);
    c->tid = (int)gettid();
    pthread_cond_broadcast(&c->changed);
    pthread_mutex_unlock(&c->lock);
    c->fn(c);
    pthread_mutex_lock(&c->lock);
    c->returned_ns = h_now_ns();
    c->done = true;
    pthread_cond_broadcast(&c->changed);
    pthread_mutex_unlock(&c->lock);
    return NULL;
}

/* The lock and the condition variable, the latter on CLOCK_MONOTONIC as h_call_wait's deadline
 * is. Returns 0 or a negative errno, having made nothing then. */
static int sync_init(struct h_call *c)
{
    pthread_condattr_t attr;
    int rc = pthread_condattr_init(&attr);

    if (rc != 0)
        return -rc;
    rc = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    if (rc == 0)
        rc = pthread_mutex_init(&c->lock, NULL);
    if (rc == 0) {
        rc = pthread_cond_init(&c->changed, &attr);
        if (rc != 0)
            pthread_mutex_destroy(&c->lock);
    }
    pthread_condattr_destroy(&attr);
    return -rc;
}

int h_call_start(struct h_call *c, h_call_fn *fn)
{
    int rc;

    c->fn = fn;
    c->tid = 0;
    c->done = false;
    c->returned_ns = 0;
    rc = sync_init(c);
    if (rc != 0)
        return rc;
    rc = pthread_create(&c->thread, NULL, call_main, c);
    if (rc != 0) {
        pthread_cond_destroy(&c->changed);
        pthread_mutex_destroy(&c->lock);
    }
    return -rc;
}

bool h_call_wait(struct h_call *c, int64_t ms)
{
    int64_t deadline = h_deadline_ms(ms);
    struct timespec ts = { .tv_sec = deadline / H_NS_PER_S, .tv_nsec = deadline % H_NS_PER_S };
    bool done;

    /* Any error of the timed wait (ETIMEDOUT, the deadline has passed) ends the wait: the
     * answer is then whatever done says. */
    pthread_mutex_lock(&c->lock);
    while (!c->done && pthread_cond_timedwait(&c->changed, &c->lock, &ts) == 0)
        ;
    done = c->done;
    pthread_mutex_unlock(&c->lock);
    return done;
}

void h_call_join(struct h_call *c)
{
    pthread_join(c->thread, NULL);
    pthread_cond_destroy(&c->changed);
    pthread_mutex_destroy(&c->lock);
}

char h_thread_state(int tid)
{
    char path[64], buf[512], *paren;
    ssize_t len;
    int fd;

    snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return '?';
    len = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    buf[len > 0 ? len : 0] = '\0';
    paren = strrchr(buf, ')'); /* the name may hold spaces and parentheses: skip to the last */
    return paren && paren[1] == ' ' ? paren[2] : '?';
}

bool h_call_asleep(struct h_call *c, int64_t ms)
{
    int64_t deadline = h_deadline_ms(ms);
    int seen = 0, tid;

    while (h_now_ns() < deadline) {
        pthread_mutex_lock(&c->lock);
        tid = c->done ? -1 : c->tid;
        pthread_mutex_unlock(&c->lock);
        if (tid < 0)
            return false;
        /* Twice in a row: one look may catch the thread asleep for a moment on its way into
         * the call (waiting for a lock), not in it. */
        seen = tid > 0 && h_thread_state(tid) == 'S' ? seen + 1 : 0;
        if (seen == 2)
            return true;
        h_sleep_ms(1);
    }
    return false;
}
