/* ev_heap.h: the loop's timers, a binary min-heap of pointers to the caller's struct ev_timer.
 *
 * Ordered by (deadline_ns, seq): the earliest deadline first, and among equal deadlines the
 * timer armed first. Each timer keeps its own slot (index + 1, 0 while idle), so cancelling one
 * is O(log n) with no search. The heap only holds pointers: the timers are the caller's memory.
 *
 * Single-threaded: the loop's thread owns the heap and every timer in it.
 */
#ifndef EV_HEAP_H
#define EV_HEAP_H

#include <stddef.h>

#include "evloop.h"

struct ev_heap {
    struct ev_timer **slots; /* slots[0] is the earliest; slots[i]->slot == i + 1 */
    size_t len, cap;
};

/* Adds t (its deadline_ns and seq set, its slot 0). Returns 0, or -ENOMEM (t stays idle). */
int ev_heap_push(struct ev_heap *h, struct ev_timer *t);

/* Removes t, which must be in h; t is idle afterwards. */
void ev_heap_remove(struct ev_heap *h, struct ev_timer *t);

/* The earliest timer, or NULL when h is empty. */
static inline struct ev_timer *ev_heap_first(const struct ev_heap *h)
{
    return h->len ? h->slots[0] : NULL;
}

/* Makes every timer idle and frees the array; h is empty and usable again afterwards. */
void ev_heap_clear(struct ev_heap *h);

#endif
