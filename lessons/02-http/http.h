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

/* What one URL gave. */
struct fetch_result {
    CURLcode error; /* CURLE_OK if the transfer completed, whatever its HTTP status; otherwise
                     * why not (CURLE_COULDNT_CONNECT, CURLE_URL_MALFORMAT...) */
    char error_text[CURL_ERROR_SIZE]; /* "" when error is CURLE_OK; otherwise libcurl's words
                                       * for it (its error buffer, or curl_easy_strerror) */
    long status; /* the HTTP status (200, 404...): a 404 is a result, not an error. 0 if no
                  * response came */
    char *body;  /* the whole body, NUL-terminated (so it prints as a string), malloc'd, owned
                  * by this result until fetch_results_free. Never NULL when error is
                  * CURLE_OK (an empty body is ""); always NULL when it is not */
    size_t size; /* bytes in body, not counting the NUL */
};

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
