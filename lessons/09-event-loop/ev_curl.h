/* ev_curl.h: libcurl's transfers driven by the event loop of evloop.h.
 *
 * Python:                                        C (this lesson, part 2):
 *     async with aiohttp.ClientSession() as s:       ev_fetch_all(loop, urls, n, results);
 *         results = await asyncio.gather(            ...use results[0..n)...
 *             *(fetch(s, u) for u in urls),          ev_fetch_results_free(results, n);
 *             return_exceptions=True)
 *
 * Lesson 02 let libcurl wait (curl_multi_poll). Here the loop waits, as aiohttp's sessions
 * wait in asyncio's loop, and libcurl only says what to wait for: through
 * CURLMOPT_SOCKETFUNCTION, which fds to watch (readable, writable, both, or no longer), and
 * through CURLMOPT_TIMERFUNCTION, when it next needs to run even if no fd is ready. The loop
 * calls curl_multi_socket_action for the fd that became ready, or with CURL_SOCKET_TIMEOUT when
 * libcurl's timer fires. Everything runs on the loop's one thread, beside its other timers and
 * fds.
 *
 * This file is read-only: the tests are written against it.
 */
#ifndef EV_CURL_H
#define EV_CURL_H

#include <stddef.h>

#include "evloop.h"
#include "fetch.h"

/* What one URL gave: a struct fetch_result (lessons/common/fetch.h), as in lesson 02: error 0
 * when the transfer completed, whatever its HTTP status (a 404 is a result), else a negative
 * errno (-ECONNREFUSED, -EINVAL for a malformed or NULL URL...) with libcurl's code and words
 * in curl_code and curl_text; the status; the whole body, "" when empty and NULL on failure.
 * fetch.h's helpers collect the body (fetch_body_append) and record the outcome
 * (fetch_finish). */

/* GETs every URL at the same time with one libcurl multi handle driven by loop (its fds
 * watched with ev_add_reader/ev_add_writer, its timeouts armed with ev_call_later, each step
 * one curl_multi_socket_action), and stores each outcome in out[i], in input order. A URL that
 * fails (refused, malformed, NULL) fails its own out[i] only. Every transfer has
 * CURLOPT_NOSIGNAL set. The program must have called curl_global_init before.
 * Runs the loop (ev_run) until every transfer has finished, then stops it: callbacks and timers
 * the caller scheduled on loop run meanwhile, and what is still scheduled when the last
 * transfer ends stays scheduled. A callback of the caller's that calls ev_stop meanwhile ends
 * the wait early: transfers not finished then fail with -ECANCELED (curl_code
 * CURLE_ABORTED_BY_CALLBACK). Starts no
 * thread. Call it from the loop's thread, outside
 * ev_run (not from a callback). When it returns, every easy handle and the multi handle are
 * cleaned up, and no fd of theirs is watched by loop.
 * Returns 0 once every URL has an outcome (whatever it was); -EINVAL if loop is NULL, or urls
 * or out is NULL while n > 0 (n == 0 does nothing and returns 0); -EBUSY if loop is running;
 * -ENOMEM; -EIO if the multi interface itself failed. On an error return, out holds nothing
 * to free. */
int ev_fetch_all(struct ev_loop *loop, const char *const *urls, size_t n, struct fetch_result *out);

/* Frees the bodies of out[0..n) and sets each body to NULL and size to 0 (calling it twice is
 * harmless). out may be NULL when n is 0. */
void ev_fetch_results_free(struct fetch_result *out, size_t n);

#endif
