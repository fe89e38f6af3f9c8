/* http.c: many URLs at once on one thread, with libcurl's multi interface (reference).
 *
 * The multi handle is the event loop: curl_multi_perform does whatever work is ready on every
 * transfer without blocking, curl_multi_info_read says which transfers have finished, and
 * curl_multi_poll sleeps until a socket is ready or a libcurl timer is due. Fifty transfers
 * waiting on a slow server cost fifty sockets and one sleeping thread.
 *
 * Each transfer keeps a pointer to its own result (CURLOPT_PRIVATE), so a finished transfer
 * writes into out[i] for its own i, whatever order they finish in.
 *
 * Cost: one connection per URL, all opened at once; a multi handle keeps connections in its
 * cache and reuses them for later transfers to the same host, but transfers that run at the
 * same time each need their own. Lesson 03 bounds how many run at once.
 */
#include "http.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define POLL_MS 1000 /* curl_multi_poll's longest sleep; libcurl wakes it sooner when needed */

/* Makes the transfer for url, writing into r, and adds it to multi. Returns the easy handle,
 * or NULL (r then says why). */
static CURL *add_transfer(CURLM *multi, const char *url, struct fetch_result *r)
{
    CURL *easy = curl_easy_init();
    CURLcode rc;

    if (!easy) {
        fetch_finish(r, CURLE_OUT_OF_MEMORY);
        return NULL;
    }
    /* CURLOPT_NOSIGNAL: without it libcurl changes the whole process's SIGPIPE handling around
     * every call, which races with any other thread of the program. */
    if ((rc = curl_easy_setopt(easy, CURLOPT_URL, url)) != CURLE_OK ||
        (rc = curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, fetch_body_append)) != CURLE_OK ||
        (rc = curl_easy_setopt(easy, CURLOPT_WRITEDATA, r)) != CURLE_OK ||
        (rc = curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, r->curl_text)) != CURLE_OK ||
        (rc = curl_easy_setopt(easy, CURLOPT_PRIVATE, r)) != CURLE_OK ||
        (rc = curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L)) != CURLE_OK) {
        curl_easy_cleanup(easy);
        fetch_finish(r, rc);
        return NULL;
    }
    if (curl_multi_add_handle(multi, easy) != CURLM_OK) {
        curl_easy_cleanup(easy);
        fetch_finish(r, CURLE_FAILED_INIT);
        return NULL;
    }
    return easy;
}

/* Records how a finished transfer ended, in its own result. */
static void finish(CURL *easy, CURLcode code)
{
    struct fetch_result *r;
    char *priv = NULL;

    curl_easy_getinfo(easy, CURLINFO_PRIVATE, &priv);
    r = (struct fetch_result *)priv;
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &r->status);
    fetch_finish(r, code); /* the errno, libcurl's words, and "" for an empty body */
}

/* The loop: do what is ready, collect what finished, sleep until something else is. */
static int run(CURLM *multi)
{
    int running = 1;

    while (running > 0) {
        CURLMsg *msg;
        int left;

        if (curl_multi_perform(multi, &running) != CURLM_OK)
            return -EIO;
        while ((msg = curl_multi_info_read(multi, &left)) != NULL)
            if (msg->msg == CURLMSG_DONE)
                finish(msg->easy_handle, msg->data.result);
        /* curl_multi_poll, not curl_multi_wait: with no socket to wait on, _wait returns at
         * once and this loop would spin; _poll still sleeps until a timer is due. */
        if (running > 0 && curl_multi_poll(multi, NULL, 0, POLL_MS, NULL) != CURLM_OK)
            return -EIO;
    }
    return 0;
}

int fetch_all(const char *const *urls, size_t n, struct fetch_result *out)
{
    CURLM *multi;
    CURL **easy;
    int rc;

    if (n == 0)
        return 0;
    if (!urls || !out)
        return -EINVAL;
    memset(out, 0, n * sizeof(*out));
    easy = calloc(n, sizeof(*easy));
    multi = curl_multi_init();
    if (!easy || !multi) {
        free(easy);
        curl_multi_cleanup(multi);
        return -ENOMEM;
    }
    /* A URL whose transfer cannot be set up has its error already; the others still go. */
    for (size_t i = 0; i < n; i++)
        easy[i] = add_transfer(multi, urls[i], &out[i]);
    rc = run(multi);
    /* Reverse order of setup: each easy handle leaves the multi, then goes; then the multi. */
    for (size_t i = 0; i < n; i++) {
        if (easy[i]) {
            curl_multi_remove_handle(multi, easy[i]);
            curl_easy_cleanup(easy[i]);
        }
    }
    curl_multi_cleanup(multi);
    free(easy);
    if (rc < 0)
        fetch_results_free(out, n);
    return rc;
}

void fetch_results_free(struct fetch_result *out, size_t n)
{
    for (size_t i = 0; i < n; i++)
        fetch_result_free(&out[i]);
}
