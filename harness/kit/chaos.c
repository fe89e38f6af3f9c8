/* chaos.c: the seeded hostile scheduler (see chaos.h), and stand-ins for the pthread calls it
 * acts at: mutex lock and unlock, condition signal and broadcast, create and join. (The
 * condition-variable waits are wake.c's.)
 *
 * Each thread draws from its own generator, seeded from the run's seed and the order in which
 * threads first reach a chaos point, so a replay makes the same decisions in each thread. The
 * delays are chosen the way rr's chaos mode chooses them: short ones often, long ones rarely,
 * and one thread at a time slow, because bugs hide behind one thread that lags, not behind
 * uniform noise.
 */
#define _GNU_SOURCE
#include "chaos.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "sysinfo.h"

#define SLOW_PICK   200 /* one point in this many makes its thread the slow one */
#define SPURIOUS_IN 6   /* one wait in this many wakes up for nothing */

static atomic_bool on;
static uint64_t seed;
static atomic_uint threads_seen;
static atomic_uint creates_returned;
static atomic_int slow_tid;
static _Thread_local uint64_t state; /* this thread's generator; 0 until its first draw */
static _Thread_local int in_chaos;   /* a stand-in called from inside chaos (sleeping) */

/* splitmix64: small, fast, and every seed gives a good sequence. */
static uint64_t next(void)
{
    uint64_t z;

    if (state == 0)
        state = seed ^ (0x9E3779B97F4A7C15ULL * (atomic_fetch_add(&threads_seen, 1) + 1));
    z = (state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static void nap_us(long us)
{
    struct timespec ts = { .tv_sec = us / 1000000, .tv_nsec = (us % 1000000) * 1000 };

    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

void h_chaos_start(const char *text)
{
    seed = strtoull(text, NULL, 10) * 0x2545F4914F6CDD1DULL + 1;
    h_set_slow_mode(true);
    atomic_store(&on, true);
}

bool h_chaos_on(void)
{
    return atomic_load_explicit(&on, memory_order_relaxed);
}

void h_chaos_point(void)
{
    uint64_t r;
    int me;

    if (!h_chaos_on() || in_chaos)
        return;
    in_chaos = 1;
    r = next();
    me = (int)gettid();
    if (r % SLOW_PICK == 0)
        atomic_store(&slow_tid, me);
    r >>= 8;
    if (atomic_load(&slow_tid) == me && r % 4 == 0)
        nap_us(100 + (long)(r >> 4) % 900); /* the slow thread: up to a millisecond, often */
    else if (r % 1024 == 0)
        nap_us(1000 + (long)(r >> 10) % 4000); /* rarely: a few milliseconds */
    else if (r % 32 == 0)
        nap_us(10 + (long)(r >> 5) % 190); /* now and then: a little */
    else if (r % 4 == 0)
        sched_yield(); /* often: let another thread run first */
    in_chaos = 0;
}

bool h_chaos_spurious(void)
{
    return h_chaos_on() && !in_chaos && next() % SPURIOUS_IN == 0;
}

/* ---- the stand-ins ---- */

typedef int (*mutex_fn)(pthread_mutex_t *);
typedef int (*cond_fn)(pthread_cond_t *);
typedef int (*create_fn)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);
typedef int (*join_fn)(pthread_t, void **);

static mutex_fn real_lock, real_unlock;
static cond_fn real_signal, real_broadcast;
static create_fn real_create;
static join_fn real_join;
static pthread_once_t found = PTHREAD_ONCE_INIT;

void *h_real_function(const char *name, const char *version)
{
    char wrapper[64];
    void *f;

    snprintf(wrapper, sizeof(wrapper), "__interceptor_%s", name);
    if ((f = dlsym(RTLD_DEFAULT, wrapper)) != NULL)
        return f;
    if (version && (f = dlvsym(RTLD_NEXT, name, version)) != NULL)
        return f;
    return dlsym(RTLD_NEXT, name);
}

static void find_real_functions(void)
{
    real_lock = (mutex_fn)h_real_function("pthread_mutex_lock", NULL);
    real_unlock = (mutex_fn)h_real_function("pthread_mutex_unlock", NULL);
    real_signal = (cond_fn)h_real_function("pthread_cond_signal", "GLIBC_2.3.2");
    real_broadcast = (cond_fn)h_real_function("pthread_cond_broadcast", "GLIBC_2.3.2");
    real_create = (create_fn)h_real_function("pthread_create", NULL);
    real_join = (join_fn)h_real_function("pthread_join", NULL);
}

#define REAL(fn) (pthread_once(&found, find_real_functions), fn)

int pthread_mutex_lock(pthread_mutex_t *m)
{
    h_chaos_point();
    return REAL(real_lock) ? real_lock(m) : ENOSYS;
}

int pthread_mutex_unlock(pthread_mutex_t *m)
{
    int rc = REAL(real_unlock) ? real_unlock(m) : ENOSYS;

    h_chaos_point(); /* just after a release: the moment another thread may take over */
    return rc;
}

int pthread_cond_signal(pthread_cond_t *c)
{
    h_chaos_point();
    return REAL(real_signal) ? real_signal(c) : ENOSYS;
}

int pthread_cond_broadcast(pthread_cond_t *c)
{
    h_chaos_point();
    return REAL(real_broadcast) ? real_broadcast(c) : ENOSYS;
}

int pthread_create(pthread_t *restrict t, const pthread_attr_t *restrict attr,
                   void *(*start)(void *), void *restrict arg)
{
    int rc;

    h_chaos_point();
    rc = REAL(real_create) ? real_create(t, attr, start, arg) : ENOSYS;
    atomic_fetch_add(&creates_returned, 1);
    h_chaos_point(); /* the new thread may run first, or much later */
    return rc;
}

unsigned h_creates_returned(void)
{
    return atomic_load(&creates_returned);
}

int pthread_join(pthread_t t, void **result)
{
    h_chaos_point();
    return REAL(real_join) ? real_join(t, result) : ENOSYS;
}
