/* Wrong: CURLOPT_NOSIGNAL is not set, so libcurl switches the whole process's SIGPIPE handling
 * around the transfer (and may use signals for its timeouts), which races with every other thread.
 * Caught: fetch_with_timeout_lets_fast_requests_finish (SIGPIPE's handling changed during the
 * request). */
#include "timeout.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* The body as it arrives: grown by the write callback, always NUL-terminated. */
struct body {
    char *data;
    size_t size;
};

/* libcurl's write callback: appends a piece of the body. Returning anything but n makes curl
 * stop the transfer with CURLE_WRITE_ERROR, which is how running out of memory is reported. */
static size_t body_append(char *piece, size_t one, size_t n, void *arg)
{
    struct body *b = arg;
    char *grown = realloc(b->data, b->size + n + 1);

    (void)one; /* always 1 for a write callback */
    if (!grown)
        return 0;
    memcpy(grown + b->size, piece, n);
    b->data = grown;
    b->size += n;
    b->data[b->size] = '\0';
    return n;
}

/* libcurl's answer as this lesson's negative errno. */
static int errno_of(CURLcode code)
{
    switch (code) {
    case CURLE_OK:
        return 0;
    case CURLE_OPERATION_TIMEDOUT:
        return -ETIMEDOUT;
    case CURLE_COULDNT_CONNECT:
        return -ECONNREFUSED;
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
        return -EINVAL;
    case CURLE_OUT_OF_MEMORY:
    case CURLE_WRITE_ERROR: /* body_append could not grow the body */
        return -ENOMEM;
    default:
        return -EIO;
    }
}

/* Sets the options of one GET of url with a limit of timeout_ms, its body going to b. */
static CURLcode setup(CURL *curl, const char *url, int timeout_ms, struct body *b)
{
    CURLcode code = curl_easy_setopt(curl, CURLOPT_URL, url);

    if (code == CURLE_OK)
        code = curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
    if (code == CURLE_OK)
        code = curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, body_append);
    if (code == CURLE_OK)
        code = curl_easy_setopt(curl, CURLOPT_WRITEDATA, b);
    return code;
}

int fetch_with_timeout(const char *url, int timeout_ms, struct fetch_result *out)
{
    struct body b = { 0 };
    CURLcode code;
    CURL *curl;
    long status = 0;
    int rc;

    if (!url || !out || timeout_ms < 0)
        return -EINVAL;
    *out = (struct fetch_result){ 0 };
    if (timeout_ms == 0)
        return -ETIMEDOUT; /* no time at all; and curl would read 0 as "no limit" */
    /* curl_easy_init also initialises libcurl once per process, thread-safely since 7.84. */
    curl = curl_easy_init();
    if (!curl)
        return -ENOMEM;
    code = setup(curl, url, timeout_ms, &b);
    if (code == CURLE_OK)
        code = curl_easy_perform(curl);
    if (code == CURLE_OK)
        code = curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(curl);
    rc = errno_of(code);
    if (rc != 0) {
        free(b.data);
        return rc;
    }
    if (!b.data) { /* an empty body: still a string */
        b.data = calloc(1, 1);
        if (!b.data)
            return -ENOMEM;
    }
    out->status = status;
    out->body = b.data; /* the caller's to free now */
    out->size = b.size;
    return 0;
}
