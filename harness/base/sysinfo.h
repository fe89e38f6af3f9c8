/* sysinfo.h: facts about this process, the machine and the build, from /proc and the compiler.
 *
 * Shared by the runner (which contains tests) and the kit (which tests use). Thread-safe; none of
 * these blocks.
 */
#ifndef H_SYSINFO_H
#define H_SYSINFO_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* CPUs this process may run on (its affinity mask), at least 1. */
int h_cpus(void);

/* True when built with ThreadSanitizer or AddressSanitizer, or run under valgrind: code runs
 * several times slower (under valgrind, one thread at a time), so tests skip tight timing and
 * overlap checks (never correctness checks) and the runner gives more time. */
bool h_sanitized(void);

/* From now on h_sanitized() is true as well: the chaos scheduler (kit/chaos.h) slows the code
 * down as much as a sanitizer, and timing checks are as meaningless under it. */
void h_set_slow_mode(bool slow);

/* True when run under valgrind. */
bool h_under_valgrind(void);

/* Tasks (threads, hence processes too) whose real user id is uid: what RLIMIT_NPROC counts.
 * Returns the count, or a negative errno if /proc cannot be read. */
int h_tasks_of_uid(uid_t uid);

/* Threads of process pid that are running or waiting for a CPU (state R) now, or a negative
 * errno. A thread in a busy loop is always in R, even on a machine too busy to give it much CPU
 * time; a thread blocked in a wait is in S. */
int h_proc_runnable_threads(pid_t pid);

/* CPU time (user + system) that process pid has used, in nanoseconds, or -1 if it cannot be
 * read. */
int64_t h_proc_cpu_ns(pid_t pid);

#endif
