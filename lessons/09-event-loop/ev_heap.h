/* ev_heap.h: the loop's timers, a binary min-heap of pointers to the caller's struct ev_timer.
 *
 * Part 1 of the lesson, on its own: evloop.c keeps its armed timers in one of these. Ordered by
 * (deadline_ns, seq): the earliest deadline first, and among equal deadlines the timer armed
 * first (the smaller seq). Each timer keeps its own place in the heap in t->slot (index + 1;
 * 0 while the timer is in no heap), so that removing any timer, not only the first, is
 * O(log n) with no search. The heap holds pointers only: the timers are the caller's memory.
 *
 * Python's asyncio keeps its timers the same way, with heapq over (when, handle) pairs.
 *
 * Single-threaded: the loop's thread owns the heap and every timer in it. This file is
 * read-only: the tests and evloop.c are written against it.
 */
#ifndef EV_HEAP_H
#define EV_HEAP_H

#include <stddef.h>

#include "evloop.h"

struct ev_heap {
    struct ev_timer **slots; /* slots[0] is the earliest; slots[i]->slot == i + 1 */
    size_t len, cap;         /* timers in it; room in slots before it must grow */
};

/* An empty heap is all zeros: struct ev_heap h = { 0 }. */

/* Adds t, whose deadline_ns and seq are set and whose slot is 0. O(log n); the array doubles
 * when full. Returns 0, or -ENOMEM (t is left out, its slot still 0). */
int ev_heap_push(struct ev_heap *h, struct ev_timer *t);

/* Removes t, which must be in h, wherever it is; t->slot is 0 afterwards. O(log n). */
void ev_heap_remove(struct ev_heap *h, struct ev_timer *t);

/* The earliest timer, or NULL when h is empty. O(1). */
static inline struct ev_timer *ev_heap_first(const struct ev_heap *h)
{
    return h->len ? h->slots[0] : NULL;
}

/* Sets every timer's slot back to 0 (idle) and frees the array; h is empty (all zeros) and
 * usable again afterwards. */
void ev_heap_clear(struct ev_heap *h);

#endif
