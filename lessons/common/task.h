/* task.h: what the lessons share: a task, what it gives back, and a cancel token.
 *
 * Python:                                      C (lessons 01, 03, 04, 07...):
 *     async def task(): return 42                  int task(void *arg, long *value)
 *                                                  { *value = 42; return 0; }
 *     raise SomeError                              return -EIO;   (a negative errno)
 *     task.cancel()  /  CancelledError             cancel token / -ECANCELED
 *
 * A lesson includes this through its own header; it is read-only, like the headers.
 */
#ifndef TASK_H
#define TASK_H

#include <stdatomic.h>
#include <stdbool.h>

/* A task: returns 0 and stores its answer in *value, or returns a negative errno (then *value
 * means nothing). Tasks may run on any thread, several at once. */
typedef int (*task_fn)(void *arg, long *value);

struct task {
    task_fn fn;
    void *arg; /* passed to fn as is; owned by the caller */
};

/* What one task gave back. */
struct task_result {
    int status; /* what fn returned: 0, or a negative errno */
    long value; /* what fn stored through its value pointer; 0 if it failed */
};

/* How a task is told to stop. Whoever runs the task owns it; it starts out clear and is set at
 * most once. Atomic, because the task reads it on its thread while another thread sets it.
 * Cancellation in C is cooperative: the task checks the token now and then and stops itself. */
struct cancel_token {
    atomic_bool requested; /* true once the task has been asked to stop */
};

/* True once the task has been asked to stop. Tasks call it often, from their own thread; it
 * never blocks. The lessons that use a token have you write it (lesson 04 first). */
bool cancel_requested(const struct cancel_token *tok);

#endif
