/* wake.c: stand-ins for the condition-variable waits that count them and inject wake-ups for
 * nothing (see wake.h).
 *
 * The definitions below have the C library's names, so the linker binds the program's calls to
 * them; each forwards to the real function, found with dlsym. When a sanitizer is linked in, the
 * "real" function is its interceptor (__interceptor_<name>), which must see every wait to follow
 * who holds the mutex. pthread_cond_wait and _timedwait exist in two versions in glibc (the old
 * condition variable of 2.2.5 and the current one of 2.3.2): ask for the current one by name,
 * since an unversioned lookup may bind the old one, which would corrupt every condvar it touched.
 */
#define _GNU_SOURCE
#include "wake.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "chaos.h"
#include "clock.h"

typedef int (*wait_fn)(pthread_cond_t *, pthread_mutex_t *);
typedef int (*timedwait_fn)(pthread_cond_t *, pthread_mutex_t *, const struct timespec *);
typedef int (*clockwait_fn)(pthread_cond_t *, pthread_mutex_t *, clockid_t,
                            const struct timespec *);

static atomic_int every_nth, delay_ms;
static atomic_int waits, timed, realtime, spurious;
static wait_fn real_wait;
static timedwait_fn real_timedwait;
static clockwait_fn real_clockwait;
static pthread_once_t found = PTHREAD_ONCE_INIT;

static void find_real_functions(void)
{
    real_wait = (wait_fn)h_real_function("pthread_cond_wait", "GLIBC_2.3.2");
    real_timedwait = (timedwait_fn)h_real_function("pthread_cond_timedwait", "GLIBC_2.3.2");
    real_clockwait = (clockwait_fn)h_real_function("pthread_cond_clockwait", NULL);
}

void h_wake_spurious(int every, int ms)
{
    atomic_store(&delay_ms, ms > 0 ? ms : 0);
    atomic_store(&every_nth, every > 0 ? every : 0);
}

void h_wake_reset(void)
{
    atomic_store(&waits, 0);
    atomic_store(&timed, 0);
    atomic_store(&realtime, 0);
    atomic_store(&spurious, 0);
}

struct h_wake_stats h_wake_stats(void)
{
    return (struct h_wake_stats){
        .waits = atomic_load(&waits),
        .timed = atomic_load(&timed),
        .realtime = atomic_load(&realtime),
        .spurious = atomic_load(&spurious),
    };
}

static int64_t ns_of(const struct timespec *t)
{
    return (int64_t)t->tv_sec * H_NS_PER_S + t->tv_nsec;
}

/* Is a deadline of unknown clock nearer the wall clock than the monotonic one? The two are
 * decades apart, so a deadline computed on one is nowhere near the other. */
static int looks_realtime(const struct timespec *abstime)
{
    struct timespec mono, real;

    clock_gettime(CLOCK_MONOTONIC, &mono);
    clock_gettime(CLOCK_REALTIME, &real);
    return llabs(ns_of(abstime) - ns_of(&real)) < llabs(ns_of(abstime) - ns_of(&mono));
}

/* Has the deadline abstime passed, on clock (-1: the one it looks like)? */
static bool past(clockid_t clock, const struct timespec *abstime)
{
    struct timespec now;

    if (clock == (clockid_t)-1)
        clock = looks_realtime(abstime) ? CLOCK_REALTIME : CLOCK_MONOTONIC;
    return clock_gettime(clock, &now) == 0 && ns_of(&now) >= ns_of(abstime);
}

/* Counts one wait; if it is to wake up for nothing, does so (mutex released meanwhile) and
 * returns 1. clock is the deadline's clock, or -1 when it is the condition variable's (which
 * cannot be asked), or -2 for an untimed wait. */
static int counted(pthread_mutex_t *m, clockid_t clock, const struct timespec *abstime)
{
    int n = atomic_fetch_add(&waits, 1), every = atomic_load(&every_nth);
    bool asked = every != 0 && n % every == 0, chaos = !asked && h_chaos_spurious();

    pthread_once(&found, find_real_functions);
    h_chaos_point();
    if (clock != (clockid_t)-2) {
        atomic_fetch_add(&timed, 1);
        if (abstime &&
            (clock == CLOCK_REALTIME || (clock == (clockid_t)-1 && looks_realtime(abstime))))
            atomic_fetch_add(&realtime, 1);
    }
    if (!asked && !chaos)
        return 0;
    /* A deadline already past: the real wait returns ETIMEDOUT at once. Waking it for nothing
     * too would keep a loop that ends only on ETIMEDOUT (the kit's own h_call_wait among them)
     * going for ever with every = 1; a real wait this late times out. */
    if (clock != (clockid_t)-2 && abstime && past(clock, abstime))
        return 0;
    atomic_fetch_add(&spurious, 1);
    pthread_mutex_unlock(m);
    if (asked)
        h_sleep_ms(atomic_load(&delay_ms));
    else
        sched_yield(); /* the chaos scheduler's: as a real spurious wake-up, at once */
    pthread_mutex_lock(m);
    return 1;
}

int pthread_cond_wait(pthread_cond_t *restrict c, pthread_mutex_t *restrict m)
{
    if (counted(m, (clockid_t)-2, NULL))
        return 0;
    return real_wait ? real_wait(c, m) : ENOSYS;
}

int pthread_cond_timedwait(pthread_cond_t *restrict c, pthread_mutex_t *restrict m,
                           const struct timespec *restrict abstime)
{
    if (counted(m, (clockid_t)-1, abstime))
        return 0;
    return real_timedwait ? real_timedwait(c, m, abstime) : ENOSYS;
}

int pthread_cond_clockwait(pthread_cond_t *restrict c, pthread_mutex_t *restrict m, clockid_t clock,
                           const struct timespec *restrict abstime)
{
    if (counted(m, clock, abstime))
        return 0;
    return real_clockwait ? real_clockwait(c, m, clock, abstime) : ENOSYS;
}
