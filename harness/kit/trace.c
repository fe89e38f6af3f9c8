/* trace.c: record task spans from any thread or forked process, and analyse them (trace.h). */
#define _GNU_SOURCE
#include "trace.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "clock.h"

int h_trace_create(struct h_trace **out, size_t capacity)
{
    size_t size = sizeof(struct h_trace) + capacity * sizeof(struct h_span);
    struct h_trace *t;

    if (capacity == 0 || capacity > (SIZE_MAX - sizeof(*t)) / sizeof(struct h_span))
        return -EINVAL;
    /* Shared and anonymous: a forked child writes into the very same pages, so a process pool's
     * workers record into the parent's trace. Fresh pages come zeroed. */
    t = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (t == MAP_FAILED)
        return -ENOMEM;
    t->capacity = capacity;
    atomic_init(&t->claimed, 0);
    atomic_init(&t->met, 0);
    t->origin_ns = h_now_ns();
    *out = t;
    return 0;
}

void h_trace_destroy(struct h_trace *t)
{
    if (t)
        munmap(t, sizeof(*t) + t->capacity * sizeof(struct h_span));
}

void h_trace_reset(struct h_trace *t)
{
    for (size_t i = 0; i < t->capacity; i++) {
        atomic_store(&t->spans[i].start_ns, 0);
        atomic_store(&t->spans[i].end_ns, 0);
    }
    atomic_store(&t->claimed, 0);
    atomic_store(&t->met, 0);
}

int h_trace_begin(struct h_trace *t, int task)
{
    size_t i = atomic_fetch_add(&t->claimed, 1);
    struct h_span *s;

    if (i >= t->capacity)
        return -ENOSPC;
    s = &t->spans[i];
    s->task = task;
    s->pid = (int)getpid();
    s->tid = (int)gettid();
    /* Release: whoever sees start_ns set also sees task, pid and tid. */
    atomic_store_explicit(&s->start_ns, h_now_ns(), memory_order_release);
    return (int)i;
}

void h_trace_end(struct h_trace *t, int span)
{
    if (span >= 0 && (size_t)span < t->capacity)
        atomic_store_explicit(&t->spans[span].end_ns, h_now_ns(), memory_order_release);
}

size_t h_trace_count(const struct h_trace *t)
{
    size_t n = atomic_load(&t->claimed);

    return n < t->capacity ? n : t->capacity;
}

size_t h_trace_dropped(const struct h_trace *t)
{
    size_t n = atomic_load(&t->claimed);

    return n > t->capacity ? n - t->capacity : 0;
}

static int64_t start_of(const struct h_trace *t, size_t i)
{
    return atomic_load_explicit(&t->spans[i].start_ns, memory_order_acquire);
}

static int64_t end_of(const struct h_trace *t, size_t i)
{
    return atomic_load_explicit(&t->spans[i].end_ns, memory_order_acquire);
}

int h_trace_running(const struct h_trace *t)
{
    size_t n = h_trace_count(t);
    int running = 0;

    for (size_t i = 0; i < n; i++)
        running += end_of(t, i) == 0;
    return running;
}

/* One edge of a span for the sweep: +1 at its start, -1 at its end. */
struct edge {
    int64_t at;
    int delta;
};

static int edge_order(const void *a, const void *b)
{
    const struct edge *x = a, *y = b;

    if (x->at != y->at)
        return x->at < y->at ? -1 : 1;
    return x->delta - y->delta; /* at the same instant, ends (-1) before starts (+1) */
}

/* The spans' edges in time order; a span still running ends at +infinity. NULL if no memory. */
static struct edge *edges_of(const struct h_trace *t, size_t *count)
{
    size_t n = h_trace_count(t), k = 0;
    struct edge *e = malloc((2 * n + 1) * sizeof(*e));

    if (!e)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        int64_t end = end_of(t, i);

        e[k++] = (struct edge){ start_of(t, i), +1 };
        e[k++] = (struct edge){ end ? end : INT64_MAX, -1 };
    }
    qsort(e, k, sizeof(*e), edge_order);
    *count = k;
    return e;
}

int h_trace_peak(const struct h_trace *t)
{
    size_t k;
    struct edge *e = edges_of(t, &k);
    int now = 0, peak = 0;

    if (!e)
        return -ENOMEM;
    for (size_t i = 0; i < k; i++) {
        now += e[i].delta;
        peak = now > peak ? now : peak;
    }
    free(e);
    return peak;
}

int64_t h_trace_last_end_ns(const struct h_trace *t)
{
    size_t n = h_trace_count(t);
    int64_t last = 0;

    for (size_t i = 0; i < n; i++)
        last = end_of(t, i) > last ? end_of(t, i) : last;
    return last;
}

int64_t h_trace_makespan_ns(const struct h_trace *t)
{
    size_t n = h_trace_count(t);
    int64_t first = INT64_MAX;

    for (size_t i = 0; i < n; i++)
        first = start_of(t, i) < first ? start_of(t, i) : first;
    return n ? h_trace_last_end_ns(t) - first : 0;
}

/* Distinct values of a span's pid (field 0) or tid (field 1). */
static int distinct(const struct h_trace *t, int tid)
{
    size_t n = h_trace_count(t);
    int found = 0;

    for (size_t i = 0; i < n; i++) {
        int v = tid ? t->spans[i].tid : t->spans[i].pid, seen = 0;

        for (size_t j = 0; j < i && !seen; j++)
            seen = (tid ? t->spans[j].tid : t->spans[j].pid) == v;
        found += !seen;
    }
    return found;
}

int h_trace_threads(const struct h_trace *t)
{
    return distinct(t, 1);
}

int h_trace_pids(const struct h_trace *t)
{
    return distinct(t, 0);
}

int h_trace_runs(const struct h_trace *t, int task)
{
    size_t n = h_trace_count(t);
    int runs = 0;

    for (size_t i = 0; i < n; i++)
        runs += t->spans[i].task == task;
    return runs + (int)h_trace_dropped(t);
}

int h_trace_is_sequential(const struct h_trace *t)
{
    size_t n = h_trace_count(t);

    /* Each task's span must start no earlier than the end of the span of the task before it. */
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < n; j++) {
            if (t->spans[j].task != t->spans[i].task + 1)
                continue;
            if (end_of(t, i) == 0 || start_of(t, j) < end_of(t, i))
                return 0;
        }
    }
    return 1;
}

int h_trace_write_csv(const struct h_trace *t, FILE *out, const char *label)
{
    size_t n = h_trace_count(t);

    for (size_t i = 0; i < n; i++) {
        const struct h_span *s = &t->spans[i];
        int64_t end = end_of(t, i);

        if (fprintf(out, "%s,%d,%d,%d,%.6f,%.6f\n", label, s->task, s->pid, s->tid,
                    h_ns_to_s(start_of(t, i) - t->origin_ns),
                    end ? h_ns_to_s(end - t->origin_ns) : -1.0) < 0)
            return -EIO;
    }
    return 0;
}

int h_trace_write_inflight_csv(const struct h_trace *t, FILE *out, const char *label)
{
    size_t k;
    struct edge *e = edges_of(t, &k);
    int now = 0, rc = 0;

    if (!e)
        return -ENOMEM;
    for (size_t i = 0; i < k && rc == 0; i++) {
        now += e[i].delta;
        if (e[i].at == INT64_MAX)
            break;
        /* One line per instant: the count after every edge at that instant. */
        if (i + 1 < k && e[i + 1].at == e[i].at)
            continue;
        if (fprintf(out, "%s,%.6f,%d\n", label, h_ns_to_s(e[i].at - t->origin_ns), now) < 0)
            rc = -EIO;
    }
    free(e);
    return rc;
}
