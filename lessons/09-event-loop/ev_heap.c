/* ev_heap.c: the loop's timer heap, as ev_heap.h describes (part 1 of the lesson).
 *
 * Your task: an array of struct ev_timer pointers kept in heap order by (deadline_ns, seq):
 * slots[i]'s children are slots[2i + 1] and slots[2i + 2], and no child is earlier than its
 * parent. Keep every moved timer's slot field up to date. evloop.c uses it for ev_call_at,
 * ev_timer_cancel and the turn's due timers. Grade it with `make check L=09`.
 */
#include "ev_heap.h"

#include <errno.h>
#include <stdlib.h>

int ev_heap_push(struct ev_heap *h, struct ev_timer *t)
{
    /* TODO: grow the array if full, put t last, and swap it up while it is earlier than its
     * parent. */
    (void)h;
    (void)t;
    return -ENOSYS;
}

void ev_heap_remove(struct ev_heap *h, struct ev_timer *t)
{
    /* TODO: fill t's place with the last timer, and sift that one up or down. */
    (void)h;
    (void)t;
}

void ev_heap_clear(struct ev_heap *h)
{
    /* TODO: every timer in h idle again (slot 0), then free the array. */
    free(h->slots);
    *h = (struct ev_heap){ 0 };
}
