/* Wrong: frees the body on failure but never makes an empty one "", so a response with no body
 * leaves body NULL, though the header says body is NULL only when the call failed.
 * Caught: fetch_with_timeout_lets_fast_requests_finish (/bytes/0 gives a NULL body). */
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
    if (code != CURLE_OK)
        fetch_result_free(out);
    return fetch_set_error(out, code);
}
