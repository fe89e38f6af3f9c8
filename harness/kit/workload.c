/* workload.c: sleeping tasks and prime-counting tasks (see workload.h). */
#include "workload.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "trace.h"

void h_io_work(struct h_trace *trace, int task, int ms)
{
    int span = trace ? h_trace_begin(trace, task) : -1;

    h_sleep_ms(ms);
    if (trace)
        h_trace_end(trace, span);
}

void h_io_work_meeting(struct h_trace *trace, int task, int ms, int want, int hold_ms)
{
    int span = h_trace_begin(trace, task);
    int64_t give_up = h_deadline_ms(hold_ms);

    while (!atomic_load(&trace->met) && h_now_ns() < give_up) {
        if (h_trace_running(trace) >= want) {
            atomic_store(&trace->met, 1);
            break;
        }
        h_sleep_ms(1);
    }
    h_sleep_ms(ms);
    h_trace_end(trace, span);
}

/* Trial division by 2, then by odd numbers up to the square root: slow on purpose. */
static bool is_prime(int64_t n)
{
    if (n < 2)
        return false;
    if (n % 2 == 0)
        return n == 2;
    for (int64_t d = 3; d * d <= n; d += 2)
        if (n % d == 0)
            return false;
    return true;
}

long h_cpu_work(struct h_trace *trace, int task, int64_t lo, int64_t hi)
{
    int span = trace ? h_trace_begin(trace, task) : -1;
    long count = 0;

    for (int64_t n = lo; n < hi; n++)
        count += is_prime(n);
    if (trace)
        h_trace_end(trace, span);
    return count;
}

long h_cpu_expected(int64_t lo, int64_t hi)
{
    int64_t root = 1, len = hi - lo;
    bool *small, *composite;
    long count = 0;

    if (len <= 0)
        return 0;
    while (root * root < hi)
        root++;
    small = calloc((size_t)root + 1, 1);
    composite = calloc((size_t)len, 1);
    if (!small || !composite) {
        free(small);
        free(composite);
        return -ENOMEM;
    }
    /* Sieve the primes up to sqrt(hi), then strike their multiples out of [lo, hi). */
    for (int64_t p = 2; p <= root; p++) {
        if (small[p])
            continue;
        for (int64_t m = p * p; m <= root; m += p)
            small[m] = true;
        for (int64_t m = (lo + p - 1) / p * p; m < hi; m += p)
            if (m != p)
                composite[m - lo] = true;
    }
    for (int64_t i = 0; i < len; i++)
        count += !composite[i] && lo + i >= 2;
    free(small);
    free(composite);
    return count;
}

int64_t h_cpu_calibrate(int ms)
{
    int64_t n = 64, took;

    /* Double the range until one run takes a tenth of the target, then scale linearly: the cost
     * per number is nearly constant this far from zero. */
    for (;;) {
        int64_t start = h_thread_cpu_ns();
        /* volatile: an unused count lets the optimiser drop the whole loop, and then the
         * range doubles without end */
        volatile long count = h_cpu_work(NULL, 0, H_CPU_BASE, H_CPU_BASE + n);

        (void)count;
        took = h_thread_cpu_ns() - start;
        if (took >= (int64_t)ms * H_NS_PER_MS / 10 || n > (INT64_C(1) << 40))
            break;
        n *= 2;
    }
    n = took > 0 ? n * ((int64_t)ms * H_NS_PER_MS) / took : n;
    return n > 0 ? n : 1;
}
