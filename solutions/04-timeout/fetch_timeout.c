/* fetch_timeout.c: one HTTP GET with a time limit, by libcurl's own timer (reference).
 *
 * libcurl keeps the deadline itself: CURLOPT_TIMEOUT_MS bounds the whole transfer (connect,
 * request, every byte of the response), and curl_easy_perform returns
 * CURLE_OPERATION_TIMEDOUT when it passes, within a millisecond or so. No thread is needed:
 * the waiting happens inside curl's poll() on the socket, which sleeps until data or the
 * deadline.
 *
 * Two traps. CURLOPT_TIMEOUT_MS 0 means "no limit at all", the opposite of what a timeout of 0
 * means here, so 0 is answered before curl is asked. And without CURLOPT_NOSIGNAL, libcurl
 * may use signals (SIGALRM) for its timeouts, which is unsafe once a program has threads.
 */
#include "timeout.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Sets the options of one GET of url with a limit of timeout_ms, its body going to out. */
static CURLcode setup(CURL *curl, const char *url, int timeout_ms, struct fetch_result *out)
{
    CURLcode code = curl_easy_setopt(curl, CURLOPT_URL, url);

    if (code == CURLE_OK)
        code = curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
    if (code == CURLE_OK)
        code = curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    if (code == CURLE_OK)
        code = curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, fetch_body_append);
    if (code == CURLE_OK)
        code = curl_easy_setopt(curl, CURLOPT_WRITEDATA, out);
    if (code == CURLE_OK)
        code = curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, out->curl_text);
    return code;
}

int fetch_with_timeout(const char *url, int timeout_ms, struct fetch_result *out)
{
    CURLcode code;
    CURL *curl;

    if (!url || !out || timeout_ms < 0)
        return -EINVAL;
    *out = (struct fetch_result){ 0 };
    if (timeout_ms == 0) /* no time at all; and curl would read 0 as "no limit" */
        return fetch_set_error(out, CURLE_OPERATION_TIMEDOUT);
    /* curl_easy_init also initialises libcurl once per process, thread-safely since 7.84. */
    curl = curl_easy_init();
    if (!curl)
        return fetch_set_error(out, CURLE_OUT_OF_MEMORY);
    code = setup(curl, url, timeout_ms, out);
    if (code == CURLE_OK)
        code = curl_easy_perform(curl);
    if (code == CURLE_OK)
        code = curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &out->status);
    curl_easy_cleanup(curl);
    /* -ETIMEDOUT, -ECONNREFUSED, -EINVAL...; on any failure the part of the body that came is
     * freed: a body cut short by the deadline is no answer. */
    return fetch_finish(out, code);
}
