/* check.h: assertions that say what went wrong, and checks on time and CPU use.
 *
 * Built on CUnit's assertion machinery, so failures become CUnit failure records that the
 * runner reports as "file:line: message". Unlike CUnit's own CU_ASSERT_EQUAL, every failure
 * message here prints the values: "results[3].value is 7, want 9".
 *
 * CUnit is not thread-safe: assert only on the test's own thread. Worker threads record what
 * they saw (in a trace, in their result slots); the test thread checks it after they are done.
 */
#ifndef H_CHECK_H
#define H_CHECK_H

#include <stdbool.h>
#include <stdint.h>

/* Records one assertion: passes if ok, otherwise a failure with the printf-style message.
 * With fatal, a failure also ends the test at once (CUnit longjmps out of it). Returns ok. */
bool h_assert(bool ok, bool fatal, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* cond must hold; otherwise fail with the message. Prefer the typed forms below. */
#define H_ASSERT(cond, ...)       h_assert((cond), false, __FILE__, __LINE__, __VA_ARGS__)
#define H_ASSERT_FATAL(cond, ...) h_assert((cond), true, __FILE__, __LINE__, __VA_ARGS__)

/* Integer comparisons that print both sides: "n_started is 3, want at least 4". Each side is
 * evaluated exactly once (H_ASSERT_EQ(waitpid(...), pid) waits once). */
enum h_cmp { H_CMP_EQ, H_CMP_NE, H_CMP_LE, H_CMP_GE };
bool h_assert_cmp(long long got, long long want, enum h_cmp op, bool fatal, const char *file,
                  int line, const char *expr);
#define H_CMP_(got, op, want, fatal)                                                               \
    h_assert_cmp((long long)(got), (long long)(want), (op), (fatal), __FILE__, __LINE__, #got)
#define H_ASSERT_EQ(got, want)       H_CMP_(got, H_CMP_EQ, want, false)
#define H_ASSERT_NE(got, want)       H_CMP_(got, H_CMP_NE, want, false)
#define H_ASSERT_LE(got, want)       H_CMP_(got, H_CMP_LE, want, false)
#define H_ASSERT_GE(got, want)       H_CMP_(got, H_CMP_GE, want, false)
#define H_ASSERT_EQ_FATAL(got, want) H_CMP_(got, H_CMP_EQ, want, true)

/* A call returning 0 or a negative errno must return want (0, -ETIMEDOUT...); the message
 * names the error: "run_gather(...) returned -ENOSYS (Function not implemented), want 0". */
#define H_ASSERT_RC(call, want)       h_assert_rc((call), (want), false, __FILE__, __LINE__, #call)
#define H_ASSERT_RC_FATAL(call, want) h_assert_rc((call), (want), true, __FILE__, __LINE__, #call)
bool h_assert_rc(long rc, long want, bool fatal, const char *file, int line, const char *what);

/* "-ETIMEDOUT" for -ETIMEDOUT, "0" for 0: the name a learner greps for. */
const char *h_errname(long rc);

/* ---- time ----
 * Noise on a shared machine only ever makes a run slower, never faster. So a check that a run
 * is fast takes the best of H_TRIES attempts, and compares it with the ideal (the time a
 * perfect implementation would take) times a stated tolerance. A check that a run is slow
 * enough (sequential work takes the sum of its tasks) needs no retries: sleeping cannot end
 * early. */
#define H_TRIES 3

/* Runs attempt(arg) up to H_TRIES times and returns the shortest time, in seconds, that it
 * returned; stops early once an attempt takes at most limit_s. An attempt returns its measured
 * seconds, or a negative number when its answer was wrong (no retry then: a wrong answer is a
 * bug, not noise; that negative number is returned). */
double h_best_time(double (*attempt)(void *arg), void *arg, double limit_s);

/* took_s must be at most ideal_s * tolerance. The message gives all three and what was timed:
 * "16 tasks of 100 ms under run_gather: took 1.602 s, ideal 0.100 s (16.02x), allowed 1.50x" */
#define H_ASSERT_TIME_WITHIN(what, took_s, ideal_s, tolerance)                                     \
    h_assert_time((what), (took_s), (ideal_s), (tolerance), __FILE__, __LINE__)
bool h_assert_time(const char *what, double took_s, double ideal_s, double tolerance,
                   const char *file, int line);

/* ---- CPU use ----
 * A blocking wait costs almost no CPU; a spinning one costs as much CPU as wall time. These
 * measure both over a stretch of the test, which is counting, not timing: a busy machine makes
 * the wall time longer but does not make a sleeping thread burn CPU. */
struct h_usage {
    int64_t wall_ns; /* after h_usage_stop: wall time of the stretch */
    int64_t cpu_ns;  /* after h_usage_stop: process CPU time (all threads) of the stretch */
};
void h_usage_start(struct h_usage *u);
void h_usage_stop(struct h_usage *u);

/* The stretch must have used at most max_ratio of its wall time as CPU time:
 * "run_gather while 16 tasks sleep: 0.095 s of CPU in 0.101 s (94%), allowed 20%: a busy wait?" */
#define H_ASSERT_MOSTLY_ASLEEP(what, usage, max_ratio)                                             \
    h_assert_asleep((what), &(usage), (max_ratio), __FILE__, __LINE__)
bool h_assert_asleep(const char *what, const struct h_usage *u, double max_ratio, const char *file,
                     int line);

/* The share of its wall time that a stretch spent on the CPU (0 for an empty stretch). */
double h_usage_ratio(const struct h_usage *u);

/* The same check, best of H_TRIES: runs stretch(arg, u) until the CPU share of the stretch it
 * measured (between its own h_usage_start and h_usage_stop on u) is within max_ratio, at most
 * H_TRIES times, and asserts on the best. A busy machine only ever adds CPU time to a stretch
 * (cache misses, migrations), never takes any away, so the best attempt is the fair one, and a
 * busy wait stays near 100% in every attempt. stretch returns 0, or a negative number when its
 * answer was wrong (it has asserted why): no retry then, and no CPU check. */
#define H_ASSERT_MOSTLY_ASLEEP_BEST(what, stretch, arg, max_ratio)                                 \
    h_assert_asleep_best((what), (stretch), (arg), (max_ratio), __FILE__, __LINE__)
bool h_assert_asleep_best(const char *what, int (*stretch)(void *arg, struct h_usage *u), void *arg,
                          double max_ratio, const char *file, int line);

#endif
