/* fetch.c: a libcurl transfer's result, its body and its error (see fetch.h). */
#include "fetch.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int fetch_errno(CURLcode code)
{
    switch (code) {
    case CURLE_OK:
        return 0;
    case CURLE_COULDNT_CONNECT:
        return -ECONNREFUSED;
    case CURLE_OPERATION_TIMEDOUT:
        return -ETIMEDOUT;
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_COULDNT_RESOLVE_HOST:
        return -EINVAL;
    case CURLE_OUT_OF_MEMORY:
    case CURLE_WRITE_ERROR: /* the write callback refused a piece: fetch_body_append's no memory */
        return -ENOMEM;
    default:
        return -EIO;
    }
}

/* Called with each piece of the body as it arrives (often 16 KiB at a time). Returning less
 * than it was given makes libcurl fail the transfer: that is how running out of memory shows. */
size_t fetch_body_append(char *data, size_t size, size_t nmemb, void *result)
{
    struct fetch_result *r = result;
    size_t n = size * nmemb;
    char *grown = realloc(r->body, r->size + n + 1);

    if (!grown)
        return 0;
    memcpy(grown + r->size, data, n);
    r->body = grown;
    r->size += n;
    r->body[r->size] = '\0';
    return n;
}

int fetch_set_error(struct fetch_result *r, CURLcode code)
{
    r->curl_code = code;
    r->error = fetch_errno(code);
    if (code == CURLE_OK)
        r->curl_text[0] = '\0';
    else if (r->curl_text[0] == '\0')
        snprintf(r->curl_text, sizeof(r->curl_text), "%s", curl_easy_strerror(code));
    return r->error;
}

int fetch_finish(struct fetch_result *r, CURLcode code)
{
    if (code == CURLE_OK && !r->body && (r->body = calloc(1, 1)) == NULL)
        code = CURLE_OUT_OF_MEMORY; /* an empty body is "", not NULL */
    if (code != CURLE_OK)
        fetch_result_free(r); /* a body cut short is no body */
    return fetch_set_error(r, code);
}

void fetch_result_free(struct fetch_result *r)
{
    free(r->body);
    r->body = NULL;
    r->size = 0;
}
