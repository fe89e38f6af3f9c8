/* trace.h: a record of when each task ran, where, and on which thread; and what it shows.
 *
 * Tasks call h_trace_begin when they start and h_trace_end when they finish. The trace keeps a
 * span for each: task number, process id, thread id, start and end on CLOCK_MONOTONIC. After the
 * work is done, the test asks the trace what happened: how many tasks ran at once at most (the
 * peak), how long the whole took (the makespan), on how many threads and processes, how often
 * each task ran. The same spans export as CSV for the plots.
 *
 * Recording is thread-safe and lock-free (a slot is claimed with one atomic add), and works
 * from forked child processes too: the spans live in shared memory that fork does not copy.
 * Read the analysis only after the recording threads and processes are done (joined, reaped),
 * except h_trace_running, which is safe at any time.
 */
#ifndef H_TRACE_H
#define H_TRACE_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct h_span {
    int task;                 /* the number the task was given */
    int pid;                  /* process that ran it */
    int tid;                  /* thread that ran it (gettid) */
    _Atomic int64_t start_ns; /* CLOCK_MONOTONIC; 0 until the span is fully written */
    _Atomic int64_t end_ns;   /* 0 while the task runs */
};

struct h_trace {
    size_t capacity;        /* spans it can hold */
    _Atomic size_t claimed; /* spans claimed so far (may exceed capacity: those are dropped) */
    int64_t origin_ns;      /* h_now_ns() at creation: time 0 in the CSV */
    _Atomic int met;        /* h_io_work_meeting's tasks met (see workload.h) */
    struct h_span spans[];  /* capacity of them */
};

/* Creates a trace for up to capacity spans, in shared memory. Returns 0 or -ENOMEM/-EINVAL.
 * Destroy it with h_trace_destroy once nothing records into it any more. */
int h_trace_create(struct h_trace **out, size_t capacity);
void h_trace_destroy(struct h_trace *t);

/* Forgets every span, keeps the memory: for the next attempt of a best-of-3. */
void h_trace_reset(struct h_trace *t);

/* Starts a span for task; returns its index for h_trace_end, or -ENOSPC when the trace is full
 * (the analysis then reports the overflow as too many runs). Any thread, any process. */
int h_trace_begin(struct h_trace *t, int task);
/* Ends the span h_trace_begin returned (a negative index is ignored). */
void h_trace_end(struct h_trace *t, int span);

/* Spans recorded (at most capacity), and spans claimed beyond capacity. */
size_t h_trace_count(const struct h_trace *t);
size_t h_trace_dropped(const struct h_trace *t);

/* Spans begun and not yet ended; safe while tasks still run. */
int h_trace_running(const struct h_trace *t);

/* The most spans that were open at the same instant. A span that ends at the very instant
 * another starts does not overlap it. */
int h_trace_peak(const struct h_trace *t);

/* From the first start to the last end, in nanoseconds (0 for an empty trace). */
int64_t h_trace_makespan_ns(const struct h_trace *t);

/* The latest end of any span (0 if none ended). */
int64_t h_trace_last_end_ns(const struct h_trace *t);

/* Distinct threads and distinct processes that ran spans. */
int h_trace_threads(const struct h_trace *t);
int h_trace_pids(const struct h_trace *t);

/* How many spans task has. Exactly once is what every executor promises. */
int h_trace_runs(const struct h_trace *t, int task);

/* 1 if every task started after the previous one (in task order) had ended, else 0: true of
 * sequential execution only. */
int h_trace_is_sequential(const struct h_trace *t);

/* Writes the spans as CSV, one line per span, times in seconds since the trace was created:
 *     label,task,pid,tid,start_s,end_s
 * label tells runs apart when several traces go to one file. Returns 0 or a negative errno. */
int h_trace_write_csv(const struct h_trace *t, FILE *out, const char *label);

/* Writes in-flight over time as CSV (label,time_s,in_flight), one line per change: the step
 * function the semaphore plot draws. Returns 0 or a negative errno. */
int h_trace_write_inflight_csv(const struct h_trace *t, FILE *out, const char *label);

#endif
