/* fetch.h: what one URL gave, for every lesson that fetches with libcurl, with one convention
 * for errors: a negative errno, libcurl's own code and words kept as the detail.
 *
 * Python (aiohttp):                             C (lessons 02, 03, 04, 09):
 *     r = await session.get(url)                    struct fetch_result r;  (filled by the lesson)
 *     r.status, await r.text()                      r.status, r.body, r.size
 *     except aiohttp.ClientConnectorError:          r.error == -ECONNREFUSED  (r.curl_code says
 *                                                       CURLE_COULDNT_CONNECT, r.curl_text why)
 *
 * The helpers below do the bookkeeping every lesson would otherwise write again: collecting a
 * body as it arrives, turning libcurl's code into an errno, freeing. Read-only, like the headers.
 */
#ifndef FETCH_H
#define FETCH_H

#include <curl/curl.h>
#include <stddef.h>

/* What one URL gave. */
struct fetch_result {
    int error;                       /* 0 when the transfer completed, whatever its HTTP status;
                                      * else -ECONNREFUSED (nothing listens), -ETIMEDOUT,
                                      * -EINVAL (a URL libcurl cannot use, or none), -ENOMEM, or
                                      * -EIO (any other failure): fetch_errno */
    CURLcode curl_code;              /* the detail: libcurl's own code (CURLE_OK when error is 0) */
    char curl_text[CURL_ERROR_SIZE]; /* libcurl's words for it; "" when error is 0 */
    long status;                     /* the HTTP status (200, 404...): a 404 is a result, not an
                                      * error. 0 if no response came */
    char *body;                      /* the whole body, NUL-terminated (it prints as a string),
                                      * malloc'd, owned by the result until fetch_result_free.
                                      * "" for an empty body; NULL when error is not 0, and in
                                      * calls that keep no bodies (their header says so) */
    size_t size;                     /* bytes of body received, not counting the NUL */
};

/* The errno for a libcurl result, as above: 0 for CURLE_OK. */
int fetch_errno(CURLcode code);

/* A CURLOPT_WRITEFUNCTION that appends each piece of the body to the struct fetch_result given
 * as CURLOPT_WRITEDATA, keeping the NUL after it. Returns size * nmemb, or 0 when memory runs
 * out (libcurl then fails the transfer with CURLE_WRITE_ERROR). */
size_t fetch_body_append(char *data, size_t size, size_t nmemb, void *result);

/* Records in r's error, curl_code and curl_text how its transfer ended (code: msg->data.result,
 * or what curl_easy_perform returned); curl_text is what libcurl left there as its
 * CURLOPT_ERRORBUFFER, or else curl_easy_strerror's words. Returns r->error. */
int fetch_set_error(struct fetch_result *r, CURLcode code);

/* Records in r how its transfer ended (code: msg->data.result, or what curl_easy_perform
 * returned): error, curl_code, curl_text (what libcurl left in r->curl_text as its
 * CURLOPT_ERRORBUFFER, or curl_easy_strerror), and the body: "" if none came on success, none
 * at all (freed, NULL, size 0) on failure. Does not touch status. Returns r->error. */
int fetch_finish(struct fetch_result *r, CURLcode code);

/* Frees r's body and sets body to NULL and size to 0: calling it twice is harmless. */
void fetch_result_free(struct fetch_result *r);

#endif
