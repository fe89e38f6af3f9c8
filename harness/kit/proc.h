/* proc.h: what this process holds right now, read from /proc.
 *
 * Tests count before and after the code under test: a thread, child process or file
 * descriptor more afterwards is a leak. Each count returns a negative errno if /proc cannot be
 * read. Thread-safe; none of them blocks.
 */
#ifndef H_PROC_H
#define H_PROC_H

#include <stdbool.h>

#include "sysinfo.h" /* h_cpus, h_sanitized, h_under_valgrind: tests use them too */

/* Threads of this process that exist now (entries of /proc/self/task), the caller included. */
int h_count_threads(void);

/* Waits until at most want threads exist, for up to ms milliseconds, and returns the count it
 * saw last. A joined thread can still be listed for a moment: pthread_join returns when the
 * thread has finished running, and the kernel removes its entry just after. */
int h_settled_threads(int want, int ms);

/* Open file descriptors of this process (entries of /proc/self/fd). */
int h_count_fds(void);

/* Child processes of this process, live or zombie. */
int h_count_children(void);

/* Child processes that have exited but were never reaped with wait (zombies). */
int h_count_zombies(void);

/* Lowers this process's RLIMIT_NPROC so that at most n more threads or processes can start:
 * the next pthread_create or fork then fails with EAGAIN, as on a machine out of them. Returns 0,
 * or -EPERM where the limit does not apply (a root process ignores it). */
int h_limit_new_tasks(int n);

#endif
