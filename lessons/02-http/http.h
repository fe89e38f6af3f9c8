/* http.h: fetch many URLs at once, from one thread, with libcurl's multi interface.
 *
 * Python:                                        C (this lesson):
 *     async with aiohttp.ClientSession() as s:       fetch_all(urls, n, results);
 *         results = await asyncio.gather(            ...use results[0..n)...
 *             *(fetch(s, u) for u in urls),          fetch_results_free(results, n);
 *             return_exceptions=True)
 *
 * One multi handle plays the part of the session and of the event loop: it holds one transfer
 * (an "easy handle") per URL, drives them all on the calling thread, and sleeps in
 * curl_multi_poll while they wait for the network. No thread is started: waiting needs none.
 *
 * This file is read-only: the tests are written against it.
 */
#ifndef HTTP_H
#define HTTP_H

#include <curl/curl.h>
#include <stddef.h>

#include "fetch.h"

/* What one URL gave: a struct fetch_result (lessons/common/fetch.h): error 0 when the transfer
 * completed, whatever its HTTP status (a 404 is a result), else a negative errno
 * (-ECONNREFUSED, -EINVAL for a malformed or NULL URL...) with libcurl's code and words in
 * curl_code and curl_text; the status; the whole body, "" when empty and NULL on failure.
 * fetch.h's helpers collect the body (fetch_body_append) and record the outcome (fetch_finish). */

/* GETs every URL at the same time with one libcurl multi handle, driven on the calling thread
 * with curl_multi_perform and curl_multi_poll (no other thread), and stores each outcome in
 * out[i], in input order, whatever order the transfers finish in. A URL that fails (refused,
 * malformed, NULL) fails its own out[i] only; the others go on. Every transfer has
 * CURLOPT_NOSIGNAL set. The program must have called curl_global_init before (the tests do).
 * Blocks, asleep in curl_multi_poll while the transfers wait, until every one has finished;
 * takes about as long as the slowest. When it returns, every easy handle and the multi handle
 * are cleaned up (the bodies are the caller's, in out).
 * Returns 0 once every URL has an outcome (whatever it was); -EINVAL if urls or out is NULL
 * while n > 0 (n == 0 does nothing and returns 0); -ENOMEM; or -EIO if the multi interface
 * itself failed. On any error return, out holds nothing to free. */
int fetch_all(const char *const *urls, size_t n, struct fetch_result *out);

/* Frees the bodies of out[0..n) and sets each body to NULL and size to 0 (so calling it twice
 * is harmless). out may be NULL when n is 0. */
void fetch_results_free(struct fetch_result *out, size_t n);

#endif
