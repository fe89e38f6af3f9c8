/* placeholder */
#include "check.h"
#include "test_bqueue.h"
void stream_delivers_lines_as_they_arrive(void)
{
    H_ASSERT(false, "todo");
}
void stream_pauses_when_queue_is_full(void)
{
    H_ASSERT(false, "todo");
}
void stream_error_reaches_consumer_after_lines(void)
{
    H_ASSERT(false, "todo");
}
