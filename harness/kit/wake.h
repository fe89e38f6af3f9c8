/* wake.h: spurious wake-ups on demand, for the tests of code that waits on condition variables.
 *
 * POSIX lets pthread_cond_wait and pthread_cond_timedwait return 0 when nobody signalled: code
 * that waits in an `if` instead of a `while` then takes that wake-up for the condition it waited
 * for. Real spurious wake-ups are too rare to test with, so this module stands in for the C
 * library's pthread_cond_wait, pthread_cond_timedwait and pthread_cond_clockwait in the whole
 * test binary (the linker binds every call in the program to the definitions in wake.c, which
 * forward to the real ones). It counts every wait, notes which clock each deadline is on, and,
 * while switched on, turns waits into wake-ups for nothing: the mutex is released for a while,
 * taken back, and the wait returns 0, exactly as a real spurious wake-up would.
 *
 *     h_wake_spurious(2, 40);        every other wait wakes up for nothing after 40 ms
 *     rc = code_under_test(...);
 *     h_wake_spurious(0, 0);         off again
 *     H_ASSERT(h_wake_stats().waits > 0, "never waited on a condition variable");
 *
 * Under the chaos scheduler (chaos.h), waits also wake up for nothing at random.
 *
 * The counts are process-wide: every thread's waits count, the harness's own included, so read
 * them around a stretch in which only the code under test waits. Thread-safe; never blocks
 * except inside the waits themselves.
 */
#ifndef H_WAKE_H
#define H_WAKE_H

/* What the waits since the last h_wake_reset did. */
struct h_wake_stats {
    int waits;    /* condition-variable waits, timed or not */
    int timed;    /* of which timed (pthread_cond_timedwait or _clockwait) */
    int realtime; /* of which with a deadline on CLOCK_REALTIME (the wall clock, which jumps) */
    int spurious; /* of which this module ended with a wake-up for nothing */
};

/* From now on, every `every`-th wait (1: all of them) sleeps delay_ms with its mutex released,
 * takes the mutex back and returns 0 without having been signalled; every 0 switches that off
 * (waits are then only counted). A timed wait woken this way returns 0 even if its deadline has
 * passed meanwhile, as a real one may; one whose deadline had passed before it began is never
 * woken for nothing (it times out at once), so that a loop that ends on ETIMEDOUT does end. */
void h_wake_spurious(int every, int delay_ms);

/* Zeroes the counts. */
void h_wake_reset(void);

/* The counts so far. */
struct h_wake_stats h_wake_stats(void);

#endif
