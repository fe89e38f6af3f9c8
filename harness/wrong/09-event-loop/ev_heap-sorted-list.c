/* Wrong: timers in a sorted array searched from the front, O(n) per insertion. Caught by
 * ev_timer_heap_scales. */
#include "ev_heap.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#define HEAP_MIN 64 /* the array's first size; it doubles when full */

/* Is a due before b? Equal deadlines go by arming order, which is what makes ties FIFO. */
static bool earlier(const struct ev_timer *a, const struct ev_timer *b)
{
    return a->deadline_ns < b->deadline_ns || (a->deadline_ns == b->deadline_ns && a->seq < b->seq);
}

static void place(struct ev_heap *h, size_t i, struct ev_timer *t)
{
    h->slots[i] = t;
    t->slot = i + 1;
}

/* The mistake: a sorted array, searched from the front and shifted, O(n) per timer. */
int ev_heap_push(struct ev_heap *h, struct ev_timer *t)
{
    size_t i = 0;

    if (h->len == h->cap) {
        size_t cap = h->cap ? 2 * h->cap : HEAP_MIN;
        struct ev_timer **slots = realloc(h->slots, cap * sizeof(*slots));

        if (!slots)
            return -ENOMEM;
        h->slots = slots;
        h->cap = cap;
    }
    while (i < h->len && !earlier(t, h->slots[i]))
        i++;
    for (size_t j = h->len; j > i; j--)
        place(h, j, h->slots[j - 1]);
    place(h, i, t);
    h->len++;
    return 0;
}

void ev_heap_remove(struct ev_heap *h, struct ev_timer *t)
{
    for (size_t j = t->slot - 1; j + 1 < h->len; j++)
        place(h, j, h->slots[j + 1]);
    h->len--;
    t->slot = 0;
}

void ev_heap_clear(struct ev_heap *h)
{
    for (size_t i = 0; i < h->len; i++)
        h->slots[i]->slot = 0;
    free(h->slots);
    *h = (struct ev_heap){ 0 };
}
