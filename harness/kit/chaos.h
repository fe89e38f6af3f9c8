/* chaos.h: a hostile scheduler for the code under test, seeded, so that a failure can be replayed.
 *
 * Races that are not data races (a signal sent before the state changes, a wake-up lost between
 * the check and the wait, a flag checked under one lock and set under another) show only when
 * threads interleave badly, which on an idle machine is rare. Under chaos, every pthread mutex
 * lock and unlock, condition-variable wait, signal and broadcast, and pthread_create and join in
 * the test's process first rolls a seeded die: usually nothing happens; often the thread yields;
 * now and then it sleeps a little; rarely it sleeps a few milliseconds; and one thread at a time
 * is the slow one, which sleeps far more often. Condition-variable waits also wake up for
 * nothing now and then, as POSIX allows. A correct program is correct under any of these; a racy
 * one fails far more often than it would by luck.
 *
 * The runner starts it (`--run TEST --seed N`): `make check` runs every test that passed once
 * more under chaos, and prints the seed of a failure; `make check L=03 T=name SEED=N` replays it
 * (the same decisions in each thread; the machine's own timing still varies, so a replay fails
 * most of the time, not always). While chaos is on, h_sanitized() is true: timing checks are
 * skipped and the runner gives more time, as under a sanitizer.
 *
 * The stand-ins for the pthread calls are in chaos.c (and wake.c, for the waits): they bind every
 * call in the program, and forward to the C library (or a sanitizer's interceptor). With chaos
 * off they only forward. Thread-safe.
 */
#ifndef H_CHAOS_H
#define H_CHAOS_H

#include <stdbool.h>

/* Turns chaos on with the decimal seed (for the runner's test main). */
void h_chaos_start(const char *seed);

/* True while chaos is on. */
bool h_chaos_on(void);

/* A point where a thread may be delayed (what every stand-in calls first). */
void h_chaos_point(void);

/* For a condition-variable wait: true if this one should wake up for nothing. */
bool h_chaos_spurious(void);

/* How many pthread_create calls in this process have returned, whatever they returned (chaos on
 * or off): a test can hold its tasks until the executor has made the threads it meant to. */
unsigned h_creates_returned(void);

/* For the stand-ins here and in wake.c: the C library's function name (its symbol version, if
 * given: glibc keeps an old condition variable beside the current one), or a sanitizer's
 * interceptor of it, which must see every call. NULL if there is none. */
void *h_real_function(const char *name, const char *version);

#endif
