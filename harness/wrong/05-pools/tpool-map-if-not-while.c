/* Wrong: tpool_map waits for its chunks in an `if`, not a `while`: the first wake-up (for
 * nothing, or another chunk's broadcast) returns before every item is done, and the chunks still
 * running write into a map that is gone.
 * Caught: tpool_wait_waits_for_all (with waits woken for nothing, tpool_map returned while an
 * item still ran). */
#include "pools.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#define RING_MIN              64 /* first size of the queue; it doubles when full */
#define MAP_CHUNKS_PER_WORKER 8  /* map cuts its items into this many pieces per worker */

struct task {
    tpool_task_fn fn;
    void *arg;
};

struct tpool {
    pthread_mutex_t lock;
    pthread_cond_t work; /* a task was queued, or stopping was set: for workers */
    pthread_cond_t done; /* a worker started, the pool went idle, a map finished: for callers */
    /* Guarded by lock: */
    struct task *ring; /* ring[(head + i) % cap] for i < count: the queue, oldest first */
    size_t cap, head, count;
    int started;   /* workers that have begun running */
    int idle;      /* workers asleep on `work` */
    int active;    /* tasks running now */
    bool stopping; /* destroy was called: workers leave once the queue is empty */
    /* Set by create, then read-only: */
    int workers;
    pthread_t threads[];
};

/* Makes room for `extra` more tasks. Called with p->lock held. Returns 0 or -ENOMEM. */
static int ring_reserve(struct tpool *p, size_t extra)
{
    size_t cap = p->cap ? p->cap : RING_MIN;
    struct task *ring;

    while (cap - p->count < extra)
        cap *= 2;
    if (cap == p->cap)
        return 0;
    if (!(ring = malloc(cap * sizeof(*ring))))
        return -ENOMEM;
    /* Unwrap the old ring so the queue starts at index 0 of the new one. */
    for (size_t i = 0; i < p->count; i++)
        ring[i] = p->ring[(p->head + i) % p->cap];
    free(p->ring);
    p->ring = ring;
    p->cap = cap;
    p->head = 0;
    return 0;
}

/* Appends a task; ring_reserve must have made room. Called with p->lock held. */
static void ring_push(struct tpool *p, tpool_task_fn fn, void *arg)
{
    p->ring[(p->head + p->count) % p->cap] = (struct task){ fn, arg };
    p->count++;
}

static void *worker_main(void *arg)
{
    struct tpool *p = arg;

    pthread_mutex_lock(&p->lock);
    p->started++;
    pthread_cond_broadcast(&p->done);
    for (;;) {
        struct task t;

        /* A while, not an if: another worker may have taken the task we were woken for. */
        while (p->count == 0 && !p->stopping) {
            p->idle++;
            pthread_cond_wait(&p->work, &p->lock);
            p->idle--;
        }
        if (p->count == 0)
            break; /* stopping, and nothing left to run */
        t = p->ring[p->head];
        p->head = (p->head + 1) % p->cap;
        p->count--;
        p->active++;
        pthread_mutex_unlock(&p->lock);
        t.fn(t.arg); /* never under the lock: tasks run side by side */
        pthread_mutex_lock(&p->lock);
        p->active--;
        if (p->active == 0 && p->count == 0)
            pthread_cond_broadcast(&p->done);
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

/* Stops and joins the first n workers. */
static void stop_workers(struct tpool *p, int n)
{
    pthread_mutex_lock(&p->lock);
    p->stopping = true;
    pthread_cond_broadcast(&p->work); /* every worker must see it, not just one */
    pthread_mutex_unlock(&p->lock);
    for (int i = 0; i < n; i++)
        pthread_join(p->threads[i], NULL);
}

/* Frees what create made, once no worker runs. */
static void free_pool(struct tpool *p)
{
    pthread_cond_destroy(&p->done);
    pthread_cond_destroy(&p->work);
    pthread_mutex_destroy(&p->lock);
    free(p->ring);
    free(p);
}

/* The pool's memory and its lock and condition variables. Returns NULL when out of them. */
static struct tpool *alloc_pool(int workers)
{
    struct tpool *p = calloc(1, sizeof(*p) + (size_t)workers * sizeof(p->threads[0]));

    if (!p)
        return NULL;
    if (pthread_mutex_init(&p->lock, NULL) != 0)
        goto free_it;
    if (pthread_cond_init(&p->work, NULL) != 0)
        goto destroy_lock;
    if (pthread_cond_init(&p->done, NULL) != 0)
        goto destroy_work;
    p->workers = workers;
    return p;
destroy_work:
    pthread_cond_destroy(&p->work);
destroy_lock:
    pthread_mutex_destroy(&p->lock);
free_it:
    free(p);
    return NULL;
}

int tpool_create(struct tpool **out, int workers)
{
    struct tpool *p;
    int rc;

    if (!out || workers < 1)
        return -EINVAL;
    if (!(p = alloc_pool(workers)))
        return -ENOMEM;
    for (int i = 0; i < workers; i++) {
        if ((rc = pthread_create(&p->threads[i], NULL, worker_main, p)) != 0) {
            stop_workers(p, i); /* the ones already started */
            free_pool(p);
            return -rc;
        }
    }
    /* Deterministic start-up: when create returns, every worker is in its loop. */
    pthread_mutex_lock(&p->lock);
    while (p->started < workers)
        pthread_cond_wait(&p->done, &p->lock);
    pthread_mutex_unlock(&p->lock);
    *out = p;
    return 0;
}

int tpool_submit(struct tpool *p, tpool_task_fn fn, void *arg)
{
    int rc;

    if (!p || !fn)
        return -EINVAL;
    pthread_mutex_lock(&p->lock);
    if ((rc = ring_reserve(p, 1)) == 0) {
        ring_push(p, fn, arg);
        if (p->idle > 0)
            pthread_cond_signal(&p->work);
    }
    pthread_mutex_unlock(&p->lock);
    return rc;
}

int tpool_wait(struct tpool *p)
{
    if (!p)
        return -EINVAL;
    pthread_mutex_lock(&p->lock);
    while (p->count > 0 || p->active > 0)
        pthread_cond_wait(&p->done, &p->lock);
    pthread_mutex_unlock(&p->lock);
    return 0;
}

void tpool_destroy(struct tpool *p)
{
    if (!p)
        return;
    /* Workers drain the queue before they look at `stopping`: queued tasks still run. */
    stop_workers(p, p->workers);
    free_pool(p);
}

/* ---- map: items cut into chunks, one task per chunk ----
 * One task per item would cost a lock and a queue slot per item; a chunk of items costs them
 * once. Several chunks per worker keep the workers evenly busy when items take unequal time. */

struct map_job {
    struct tpool *pool;
    long (*fn)(long);
    const long *in;
    long *out;
    size_t chunks_left; /* guarded by pool->lock */
};

struct map_chunk {
    struct map_job *job;
    size_t lo, hi; /* items [lo, hi) */
};

static void run_chunk(void *arg)
{
    struct map_chunk *c = arg;
    struct map_job *job = c->job;

    for (size_t i = c->lo; i < c->hi; i++)
        job->out[i] = job->fn(job->in[i]);
    pthread_mutex_lock(&job->pool->lock);
    if (--job->chunks_left == 0)
        pthread_cond_broadcast(&job->pool->done);
    pthread_mutex_unlock(&job->pool->lock);
}

int tpool_map(struct tpool *p, long (*fn)(long), const long *in, long *out, size_t n)
{
    struct map_job job = { .pool = p, .fn = fn, .in = in, .out = out };
    size_t chunks, size;
    struct map_chunk *c;
    int rc;

    if (!p || !fn || (n > 0 && (!in || !out)))
        return -EINVAL;
    if (n == 0)
        return 0;
    chunks = (size_t)p->workers * MAP_CHUNKS_PER_WORKER;
    if (chunks > n)
        chunks = n;
    size = (n + chunks - 1) / chunks;
    chunks = (n + size - 1) / size;
    if (!(c = malloc(chunks * sizeof(*c))))
        return -ENOMEM;
    job.chunks_left = chunks;
    pthread_mutex_lock(&p->lock);
    if ((rc = ring_reserve(p, chunks)) == 0) {
        for (size_t k = 0; k < chunks; k++) {
            size_t lo = k * size, hi = lo + size < n ? lo + size : n;

            c[k] = (struct map_chunk){ &job, lo, hi };
            ring_push(p, run_chunk, &c[k]);
        }
        pthread_cond_broadcast(&p->work); /* wakes only the idle: busy ones are not waiting */
        if (job.chunks_left > 0)
            pthread_cond_wait(&p->done, &p->lock);
    }
    pthread_mutex_unlock(&p->lock);
    free(c);
    return rc;
}
