/* ld_heap.c: latencyd's timer heap (see ld_heap.h). */
#include "ld_heap.h"

#include <errno.h>
#include <stdlib.h>

void ld_heap_init(struct ld_heap *h)
{
    h->slots = NULL;
    h->len = h->cap = 0;
}

void ld_heap_destroy(struct ld_heap *h)
{
    for (size_t i = 0; i < h->len; i++)
        h->slots[i]->heap_index = LD_TIMER_IDLE;
    free(h->slots);
    ld_heap_init(h);
}

void ld_timer_init(struct ld_timer *t)
{
    t->deadline_ns = 0;
    t->heap_index = LD_TIMER_IDLE;
}

static void place(struct ld_heap *h, size_t i, struct ld_timer *t)
{
    h->slots[i] = t;
    t->heap_index = i;
}

/* Moves the timer at slot i towards the root while it is earlier than its parent. */
static void sift_up(struct ld_heap *h, size_t i)
{
    struct ld_timer *t = h->slots[i];

    while (i > 0) {
        size_t parent = (i - 1) / 2;

        if (h->slots[parent]->deadline_ns <= t->deadline_ns)
            break;
        place(h, i, h->slots[parent]);
        i = parent;
    }
    place(h, i, t);
}

/* Moves the timer at slot i towards the leaves while a child is earlier. */
static void sift_down(struct ld_heap *h, size_t i)
{
    struct ld_timer *t = h->slots[i];

    for (;;) {
        size_t child = 2 * i + 1;

        if (child >= h->len)
            break;
        if (child + 1 < h->len && h->slots[child + 1]->deadline_ns < h->slots[child]->deadline_ns)
            child++;
        if (t->deadline_ns <= h->slots[child]->deadline_ns)
            break;
        place(h, i, h->slots[child]);
        i = child;
    }
    place(h, i, t);
}

int ld_heap_arm(struct ld_heap *h, struct ld_timer *t, int64_t deadline_ns)
{
    if (t->heap_index != LD_TIMER_IDLE) {
        size_t i = t->heap_index;

        t->deadline_ns = deadline_ns;
        sift_up(h, i);
        sift_down(h, t->heap_index);
        return 0;
    }
    if (h->len == h->cap) {
        size_t cap = h->cap ? 2 * h->cap : 64;
        struct ld_timer **slots = realloc(h->slots, cap * sizeof(*slots));

        if (!slots)
            return -ENOMEM;
        h->slots = slots;
        h->cap = cap;
    }
    t->deadline_ns = deadline_ns;
    place(h, h->len++, t);
    sift_up(h, t->heap_index);
    return 0;
}

void ld_heap_cancel(struct ld_heap *h, struct ld_timer *t)
{
    size_t i = t->heap_index;
    struct ld_timer *last;

    if (i == LD_TIMER_IDLE)
        return;
    t->heap_index = LD_TIMER_IDLE;
    last = h->slots[--h->len];
    if (last == t)
        return;
    /* The last timer fills the hole, then moves up or down to where it belongs. */
    place(h, i, last);
    sift_up(h, i);
    sift_down(h, last->heap_index);
}

struct ld_timer *ld_heap_first(const struct ld_heap *h)
{
    return h->len > 0 ? h->slots[0] : NULL;
}
