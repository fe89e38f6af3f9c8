/* Wrong: timers kept in the order they were armed, not by deadline. Caught by
 * ev_timers_fire_in_deadline_order. */
#include "ev_heap.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#define HEAP_MIN 64 /* the array's first size; it doubles when full */

/* Is a due before b? Equal deadlines go by arming order, which is what makes ties FIFO. */
static bool earlier(const struct ev_timer *a, const struct ev_timer *b)
{
    return a->seq < b->seq; /* the mistake: the order they were armed in */
}

static void place(struct ev_heap *h, size_t i, struct ev_timer *t)
{
    h->slots[i] = t;
    t->slot = i + 1;
}

/* Moves t, which belongs at slot i, up past every parent due later than it. */
static void sift_up(struct ev_heap *h, size_t i, struct ev_timer *t)
{
    while (i > 0 && earlier(t, h->slots[(i - 1) / 2])) {
        place(h, i, h->slots[(i - 1) / 2]);
        i = (i - 1) / 2;
    }
    place(h, i, t);
}

/* Moves the hole at slot i down to a leaf, each step filling it with the earlier of its two
 * children: one comparison a level. Returns the leaf's slot. */
static size_t hole_to_leaf(struct ev_heap *h, size_t i)
{
    size_t child;

    while ((child = 2 * i + 1) < h->len) {
        if (child + 1 < h->len && earlier(h->slots[child + 1], h->slots[child]))
            child++;
        place(h, i, h->slots[child]);
        i = child;
    }
    return i;
}

int ev_heap_push(struct ev_heap *h, struct ev_timer *t)
{
    if (h->len == h->cap) {
        size_t cap = h->cap ? 2 * h->cap : HEAP_MIN;
        struct ev_timer **slots = realloc(h->slots, cap * sizeof(*slots));

        if (!slots)
            return -ENOMEM;
        h->slots = slots;
        h->cap = cap;
    }
    h->len++;
    sift_up(h, h->len - 1, t);
    return 0;
}

void ev_heap_remove(struct ev_heap *h, struct ev_timer *t)
{
    size_t i = t->slot - 1;
    struct ev_timer *last = h->slots[--h->len];

    t->slot = 0;
    if (last == t)
        return;
    /* The last timer must fill the hole. It is usually among the latest, so rather than sift
     * it down from the hole (two comparisons a level), move the hole down to a leaf first
     * (one), then sift the last timer up from there: it rarely climbs more than a level. */
    sift_up(h, hole_to_leaf(h, i), last);
}

void ev_heap_clear(struct ev_heap *h)
{
    for (size_t i = 0; i < h->len; i++)
        h->slots[i]->slot = 0;
    free(h->slots);
    *h = (struct ev_heap){ 0 };
}
