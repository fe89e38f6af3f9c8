/* fetch_limited.c: aiohttp GETs under a Semaphore, with libcurl's multi interface (reference).
 *
 * One thread, one multi handle, and a window: at most limit easy handles are added to the
 * multi handle at a time. Whenever transfers finish, their handles come out and the next URLs'
 * handles go in, so limit stay in flight while URLs are left. Nothing here needs a semaphore
 * object: on one thread, the permit count is simply the number of transfers in flight.
 *
 * Why not CURLMOPT_MAX_TOTAL_CONNECTIONS? It also caps transfers, but every handle is added at
 * once and libcurl queues the extras on its own schedule; measured here, about half the runs
 * paid a whole extra round. A window of your own starts the next transfer the moment one ends.
 *
 * Cost: one thread for any number of transfers; while they wait, it sleeps in curl_multi_poll.
 */
#include "csem.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

/* The transfers in flight. Used by the calling thread only, so no lock. */
struct window {
    CURLM *multi;
    CURL **easy;      /* easy[i]: URL i's handle while it is in the multi handle, else NULL */
    size_t in_flight; /* handles in the multi handle now: at most limit */
};

/* Counts the body's bytes and drops them; returning less than given would abort the transfer. */
static size_t count_body(char *data, size_t size, size_t nmemb, void *userp)
{
    struct fetch_result *r = userp;

    (void)data;
    r->size += size * nmemb;
    return size * nmemb;
}

/* Starts URL i: makes its easy handle and adds it to the window. A URL that cannot even start
 * (no memory) gets its outcome now and takes no place in the window. */
static void start_transfer(struct window *w, size_t i, const char *url, struct fetch_result *r)
{
    CURL *easy = curl_easy_init();
    CURLcode rc = CURLE_OUT_OF_MEMORY;

    *r = (struct fetch_result){ .error = 0 };
    if (!easy)
        goto fail;
    if ((rc = curl_easy_setopt(easy, CURLOPT_URL, url)) != CURLE_OK ||
        (rc = curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L)) != CURLE_OK ||
        (rc = curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, count_body)) != CURLE_OK ||
        (rc = curl_easy_setopt(easy, CURLOPT_WRITEDATA, r)) != CURLE_OK ||
        (rc = curl_easy_setopt(easy, CURLOPT_PRIVATE, r)) != CURLE_OK)
        goto fail;
    if (curl_multi_add_handle(w->multi, easy) != CURLM_OK) {
        rc = CURLE_OUT_OF_MEMORY;
        goto fail;
    }
    w->easy[i] = easy;
    w->in_flight++;
    return;
fail:
    fetch_set_error(r, rc);
    curl_easy_cleanup(easy); /* NULL is fine */
}

/* Takes every finished transfer out of the window and records its outcome.
 * Returns how many finished. */
static size_t collect_done(struct window *w, struct fetch_result *out)
{
    size_t done = 0;
    int left;
    CURLMsg *msg;

    while ((msg = curl_multi_info_read(w->multi, &left)) != NULL) {
        CURL *easy = msg->easy_handle;
        char *priv = NULL;
        struct fetch_result *r;

        if (msg->msg != CURLMSG_DONE)
            continue;
        curl_easy_getinfo(easy, CURLINFO_PRIVATE, &priv);
        r = (struct fetch_result *)(void *)priv; /* what start_transfer stored: &out[i] */
        fetch_set_error(r, msg->data.result);    /* read msg before removing the handle frees it */
        if (curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &r->status) != CURLE_OK)
            r->status = 0;
        curl_multi_remove_handle(w->multi, easy);
        curl_easy_cleanup(easy);
        w->easy[r - out] = NULL;
        w->in_flight--;
        done++;
    }
    return done;
}

int fetch_limited(const char *const *urls, size_t n, size_t limit, struct fetch_result *out)
{
    struct window w = { 0 };
    size_t next = 0;
    int rc = 0, running;

    if (limit == 0 || (n > 0 && (!urls || !out)))
        return -EINVAL;
    if (n == 0)
        return 0;
    w.multi = curl_multi_init();
    w.easy = calloc(n, sizeof(*w.easy));
    if (!w.multi || !w.easy) {
        rc = -ENOMEM;
        goto out;
    }
    for (;;) {
        /* Fill the window: the permits are the places left in it. */
        while (next < n && w.in_flight < limit) {
            start_transfer(&w, next, urls[next], &out[next]);
            next++;
        }
        if (w.in_flight == 0)
            break; /* every URL started, and every transfer is done */
        if (curl_multi_perform(w.multi, &running) != CURLM_OK) {
            rc = -EIO;
            break;
        }
        /* Something finished: refill before sleeping. Otherwise sleep until a socket is ready
         * or a timer of libcurl's is due (poll, not wait: wait would spin with nothing to do). */
        if (collect_done(&w, out) == 0 &&
            curl_multi_poll(w.multi, NULL, 0, 1000, NULL) != CURLM_OK) {
            rc = -EIO;
            break;
        }
    }
out:
    /* Only after a failure of the multi handle can transfers be left in the window. */
    for (size_t i = 0; w.easy && i < n; i++) {
        if (w.easy[i]) {
            curl_multi_remove_handle(w.multi, w.easy[i]);
            curl_easy_cleanup(w.easy[i]);
        }
    }
    free(w.easy);
    curl_multi_cleanup(w.multi); /* NULL is fine */
    return rc;
}
