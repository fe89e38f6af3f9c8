/* Wrong: a thread per URL, each doing a blocking curl_easy_perform, bounded by the lesson's
 * semaphore: the limit holds and the server sees the right peak, but the header asks for one
 * thread driving libcurl's multi interface, asleep in curl_multi_poll.
 * Caught: fetch_limited_peak_is_limit (threads appeared during the call, and
 * curl_multi_poll was never called). */
#include "csem.h"

#include <errno.h>
#include <stdlib.h>

/* What one URL's thread needs. */
struct job {
    pthread_t thread;
    const char *url;
    struct fetch_result *r;
    struct csem *sem;
};

static size_t count_body(char *data, size_t size, size_t nmemb, void *userp)
{
    struct fetch_result *r = userp;

    (void)data;
    r->size += size * nmemb;
    return size * nmemb;
}

static void *job_main(void *arg)
{
    struct job *job = arg;
    CURL *easy;
    CURLcode code = CURLE_OUT_OF_MEMORY;

    *job->r = (struct fetch_result){ .error = 0 };
    if (csem_wait(job->sem) != 0) {
        fetch_set_error(job->r, code);
        return NULL;
    }
    easy = curl_easy_init();
    if (easy) {
        curl_easy_setopt(easy, CURLOPT_URL, job->url);
        curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, count_body);
        curl_easy_setopt(easy, CURLOPT_WRITEDATA, job->r);
        code = curl_easy_perform(easy);
        if (curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &job->r->status) != CURLE_OK)
            job->r->status = 0;
        curl_easy_cleanup(easy);
    }
    fetch_set_error(job->r, code);
    csem_post(job->sem);
    return NULL;
}

int fetch_limited(const char *const *urls, size_t n, size_t limit, struct fetch_result *out)
{
    struct csem sem;
    struct job *jobs;
    size_t started = 0;
    int rc;

    if (limit == 0 || (n > 0 && (!urls || !out)))
        return -EINVAL;
    if (n == 0)
        return 0;
    rc = csem_init(&sem, limit < n ? (unsigned int)limit : (unsigned int)n);
    if (rc != 0)
        return rc;
    jobs = calloc(n, sizeof(*jobs));
    if (!jobs) {
        csem_destroy(&sem);
        return -ENOMEM;
    }
    for (; started < n; started++) {
        jobs[started] = (struct job){ .url = urls[started], .r = &out[started], .sem = &sem };
        if ((rc = pthread_create(&jobs[started].thread, NULL, job_main, &jobs[started])) != 0)
            break;
    }
    for (size_t i = 0; i < started; i++)
        pthread_join(jobs[i].thread, NULL);
    for (size_t i = started; i < n; i++)
        fetch_set_error(&out[i], CURLE_FAILED_INIT);
    free(jobs);
    csem_destroy(&sem);
    return -rc;
}
