/* bench_queue.c: a bounded queue's depth over time, as producers and consumers change pace.
 *
 * Four producers and two consumers share one queue of lesson 08 (the reference, or whichever
 * bqueue.c this is linked with) of capacity 16, for three phases of 300 ms each:
 *   1. slow producers, fast consumers: every item is taken almost as soon as it comes, the
 *      queue stays near empty and the consumers sleep in bq_get;
 *   2. fast producers, slow consumers: the queue fills to its capacity and stays there, and
 *      the producers sleep in bq_put: that is backpressure, the queue holding them to the
 *      consumers' pace instead of growing;
 *   3. the producers stop: the consumers drain what is left, then the queue is closed.
 * A sampler (this thread) reads the depth, and how many producers are inside bq_put, every
 * millisecond.
 *
 * Writes OUTDIR/queue.csv (queue-yours.csv for the learner's code), one line per sample:
 *     series,time_s,depth,producers_in_put
 * plots/queue.gp draws the depth against the capacity.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "bench.h"
#include "bqueue.h"
#include "clock.h"

#define CAPACITY  16
#define PRODUCERS 4
#define CONSUMERS 2
#define PHASE_MS  300
#define SAMPLES   (3 * PHASE_MS + 200) /* one a millisecond, and room for the drain */
#define SLOW_US   2000                 /* an item's cost to the slow side, in microseconds */
#define FAST_US   100                  /* ...and to the fast side */

static struct bq q;
static atomic_int phase;  /* 1, 2, 3 as above */
static atomic_int in_put; /* producers inside bq_put now */
static atomic_long items; /* handed over in all */

/* Sleeps us microseconds: the item's work. */
static void work(int us)
{
    h_sleep_until(h_now_ns() + us * INT64_C(1000));
}

static void *producer(void *arg)
{
    (void)arg;
    while (atomic_load(&phase) < 3) {
        int rc;

        work(atomic_load(&phase) == 1 ? SLOW_US : FAST_US);
        atomic_fetch_add(&in_put, 1);
        rc = bq_put(&q, NULL); /* the item itself does not matter here */
        atomic_fetch_sub(&in_put, 1);
        if (rc != 0)
            break;
    }
    return NULL;
}

static void *consumer(void *arg)
{
    void *item;

    (void)arg;
    while (bq_get(&q, &item) == 0) {
        atomic_fetch_add(&items, 1);
        work(atomic_load(&phase) == 1 ? FAST_US : SLOW_US);
    }
    return NULL;
}

struct sample {
    double t_s;
    size_t depth;
    int in_put;
};

/* Runs the three phases, sampling; returns the number of samples, or a negative errno. */
static int measure(struct sample *s)
{
    pthread_t t[PRODUCERS + CONSUMERS];
    int64_t start = h_now_ns(), next = start;
    int n = 0, started = 0, rc = 0;

    atomic_store(&phase, 1);
    for (; started < PRODUCERS + CONSUMERS && rc == 0; started++)
        rc = -pthread_create(&t[started], NULL, started < PRODUCERS ? producer : consumer, NULL);
    if (rc != 0)
        started--;
    for (; n < SAMPLES && rc == 0; n++) {
        int64_t at = h_now_ns() - start;

        if (at >= 2 * PHASE_MS * H_NS_PER_MS && atomic_load(&phase) == 2)
            atomic_store(&phase, 3);
        else if (at >= PHASE_MS * H_NS_PER_MS && atomic_load(&phase) == 1)
            atomic_store(&phase, 2);
        s[n] = (struct sample){ h_ns_to_s(at), bq_depth(&q), atomic_load(&in_put) };
        if (atomic_load(&phase) == 3 && s[n].depth == 0 && s[n].in_put == 0 &&
            at >= 3 * PHASE_MS * H_NS_PER_MS)
            break;
        next += H_NS_PER_MS;
        h_sleep_until(next);
    }
    bq_close(&q, 0); /* wakes the consumers (and any producer still in bq_put) */
    for (int i = 0; i < started; i++)
        pthread_join(t[i], NULL);
    return rc != 0 ? rc : n;
}

int main(int argc, char **argv)
{
    const char *outdir = bench_outdir(argc, argv, "queue");
    static struct sample samples[SAMPLES];
    struct bq_stats st;
    FILE *csv = NULL;
    int64_t step;
    int n, rc;

    if (!outdir)
        return 2;
    rc = bq_init(&q, CAPACITY);
    if (rc != 0) {
        fprintf(stderr, "bench_queue: bq_init: %s\n", strerror(-rc));
        return 1;
    }
    step = h_now_ns();
    n = measure(samples);
    st = bq_stats(&q);
    bq_destroy(&q);
    if (n < 0) {
        fprintf(stderr, "bench_queue: %s\n", strerror(-n));
        return 1;
    }
    bench_step("queue", step, "%ld items, peak depth %zu of %d, %ld puts and %ld gets waited",
               atomic_load(&items), st.peak, CAPACITY, st.put_waits, st.get_waits);
    rc = bench_csv_open(&csv, outdir, "queue");
    if (rc == 0) {
        bench_fact(csv, "capacity", "%d", CAPACITY);
        bench_fact(csv, "producers", "%d", PRODUCERS);
        bench_fact(csv, "consumers", "%d", CONSUMERS);
        bench_fact(csv, "phase_ms", "%d", PHASE_MS);
        bench_fact(csv, "slow_us", "%d", SLOW_US);
        bench_fact(csv, "fast_us", "%d", FAST_US);
        bench_fact(csv, "put_waits", "%ld", st.put_waits);
        bench_fact(csv, "get_waits", "%ld", st.get_waits);
        bench_csv_columns(csv, "series,time_s,depth,producers_in_put");
        for (int i = 0; i < n; i++)
            fprintf(csv, "bq%s,%.4f,%zu,%d\n", bench_series(), samples[i].t_s, samples[i].depth,
                    samples[i].in_put);
        rc = bench_csv_close(csv);
    }
    if (rc != 0) {
        fprintf(stderr, "bench_queue: %s\n", strerror(-rc));
        return 1;
    }
    return 0;
}
