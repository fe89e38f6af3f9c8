/* fuzz_http.c: libFuzzer target for latencyd's request parser (ld_http.h), which is pure: no
 * sockets, no allocation, no state, so any byte string can be thrown at it directly.
 *
 * Built by `make fuzz` with clang's -fsanitize=fuzzer,address,undefined: a read outside the
 * input, undefined behaviour or a broken invariant below is a crash, saved as a file that
 * reproduces it (`build/fuzz/fuzz_http FILE`). The input is copied to a buffer of exactly its
 * size, so AddressSanitizer sees a read one byte past the end; the seeds are in fuzz_corpus/.
 * By hand: `fuzz_http NEWDIR harness/test/fuzz_corpus` (libFuzzer adds what it learns to the
 * first directory only: never name the seeds first).
 *
 * Beyond "does not crash", it checks what the server relies on:
 *   - ld_http_head_end finds the same end whether the bytes arrive at once or in pieces;
 *   - a parsed request's path and query lie inside the head, the path starts with '/', a
 *     target without '?' has a NULL query;
 *   - the status is one ld_http_parse promises, with a reason when it is not 0.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ld_http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A broken invariant: say which, then abort, which libFuzzer records as a crash. */
static void broken(const char *what)
{
    fprintf(stderr, "fuzz_http: %s\n", what);
    abort();
}

/* The head's end when the bytes arrive step at a time, each call told how far the last one got,
 * as ld_conn.c calls it. */
static size_t head_end_in_steps(const char *buf, size_t size, size_t step)
{
    size_t from = 0, end = 0;

    for (size_t len = step < size ? step : size; end == 0; len += step) {
        if (len > size)
            len = size;
        end = ld_http_head_end(buf, len, from);
        from = len;
        if (len == size)
            break;
    }
    return end;
}

static void check_request(const char *buf, size_t end, int status, const struct ld_request *req,
                          const char *why)
{
    const char *head_end = buf + end;

    if (status != 0 && status != 400 && status != 501 && status != 505)
        broken("a status ld_http_parse does not promise");
    if (status != 0) {
        if (!why || strlen(why) == 0)
            broken("an error without a reason");
        return;
    }
    if (req->method != LD_GET && req->method != LD_HEAD && req->method != LD_NOT_ALLOWED)
        broken("a method outside the enum");
    if (!req->path || req->path < buf || req->path_len == 0 || req->path_len > end ||
        req->path + req->path_len > head_end || req->path[0] != '/')
        broken("the path is not a '/...' inside the head");
    if (!req->query && req->query_len != 0)
        broken("no query, yet a query length");
    if (req->query && (req->query != req->path + req->path_len + 1 || req->query[-1] != '?' ||
                       req->query_len > (size_t)(head_end - req->query)))
        broken("the query is not what follows the path's '?' inside the head");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = malloc(size ? size : 1);
    struct ld_request req;
    const char *why = NULL;
    size_t end;
    int status;

    if (!buf)
        return 0;
    if (size > 0)
        memcpy(buf, data, size);
    end = ld_http_head_end(buf, size, 0);
    if (end > size)
        broken("the head ends past the input");
    if (head_end_in_steps(buf, size, 1) != end ||
        head_end_in_steps(buf, size, 1 + (size % 13)) != end)
        broken("the head's end depends on how the bytes arrived");
    if (end > 0) {
        status = ld_http_parse(buf, end, &req, &why);
        check_request(buf, end, status, &req, why);
    }
    /* Not what ld_http_parse promises to handle (a head it did not measure), but a parser
     * that stays inside any buffer is one less way for a bug in a caller to become a crash. */
    (void)ld_http_parse(buf, size, &req, &why);
    free(buf);
    return 0;
}
