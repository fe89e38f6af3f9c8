/* ld_heap.h: latencyd's timers, a binary min-heap ordered by deadline.
 *
 * The caller embeds a struct ld_timer in whatever the timer belongs to (a connection) and finds
 * its way back from the timer with container_of-style arithmetic; the heap only holds pointers,
 * so it never allocates per timer. Each timer knows its own slot in the heap, which makes
 * removing or moving an armed timer O(log n) instead of a search.
 *
 * Cost: add, remove and pop are O(log n), the earliest is O(1). A timer wheel would make add
 * O(1), but needs a fixed tick; a heap fires each timer at its exact deadline, which is what a
 * server that promises "/delay/200 answers after 200 ms" needs.
 *
 * Single-threaded: the event loop's thread owns the heap and every timer in it.
 */
#ifndef LD_HEAP_H
#define LD_HEAP_H

#include <stddef.h>
#include <stdint.h>

#define LD_TIMER_IDLE ((size_t)-1) /* heap_index of a timer that is not armed */

struct ld_timer {
    int64_t deadline_ns; /* CLOCK_MONOTONIC, absolute */
    size_t heap_index;   /* its slot in the heap, or LD_TIMER_IDLE */
};

struct ld_heap {
    struct ld_timer **slots; /* slots[0] is the earliest deadline */
    size_t len, cap;
};

/* An empty heap; ld_heap_destroy frees its array (not the timers, which the caller owns). */
void ld_heap_init(struct ld_heap *h);
void ld_heap_destroy(struct ld_heap *h);

/* A timer that is not armed. Call once before its first ld_heap_arm. */
void ld_timer_init(struct ld_timer *t);

/* Arms t to fire at deadline_ns, moving it if it was armed already.
 * Returns 0, or -ENOMEM (then t is left as it was). */
int ld_heap_arm(struct ld_heap *h, struct ld_timer *t, int64_t deadline_ns);

/* Disarms t; nothing happens if it was not armed. */
void ld_heap_cancel(struct ld_heap *h, struct ld_timer *t);

/* The armed timer with the earliest deadline, or NULL. */
struct ld_timer *ld_heap_first(const struct ld_heap *h);

#endif
