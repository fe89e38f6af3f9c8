/* rmap.c: a map over MPI ranks, static (one scatter, one gather) and dynamic (a dispatcher
 * handing out chunks on demand), and a map-reduce; the contract is in rmap.h.
 *
 * Cost: the static map is three collectives whatever n is (a broadcast of n, a scatter, two
 * gathers) and moves each item and result once; its makespan is the slowest rank's share, so
 * skewed items make it as slow as their owner. The dynamic map costs a round trip per chunk
 * between rank 0 and a worker, and gives up rank 0 as a computer, but its makespan is near
 * total / workers plus one chunk. Rejected: rank 0 computing between dispatches (MPI_Iprobe
 * polling), which saves a rank but makes every worker wait while rank 0 is busy computing.
 *
 * Every error is agreed on before anyone acts on it: rank 0 checks the arguments and
 * broadcasts the verdict, a failed malloc on any rank is found with an MPI_Allreduce, and the
 * return value is broadcast at the end. A rank never returns while others still expect a
 * message from it. MPI calls report failure only under an error handler that returns (the
 * default one, MPI_ERRORS_ARE_FATAL, ends the job first); each is checked, and gives -EIO.
 */
#include "rmap.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>

#define TAG_WORK   1 /* rank 0 -> worker: start, count, count values */
#define TAG_STOP   2 /* rank 0 -> worker: no more work (empty message) */
#define TAG_RESULT 3 /* worker -> rank 0: start, count, count results, count statuses */

#define MPI_OK(call) ((call) == MPI_SUCCESS)

/* What rank 0 tells every rank before a map: the verdict on the arguments, n, and the chunk. */
struct header {
    long rc, n, chunk;
};

/* Rank 0 checks; every rank learns the verdict and n. Returns 0 or the agreed error. */
static int agree_on_header(MPI_Comm comm, int rank, struct header *h, int bad_args, size_t n,
                           size_t chunk)
{
    if (rank == 0) {
        h->rc = bad_args || n > INT_MAX ? -EINVAL : 0;
        h->n = (long)n;
        h->chunk = (long)chunk;
    }
    if (!MPI_OK(MPI_Bcast(h, 3, MPI_LONG, 0, comm)))
        return -EIO;
    return (int)h->rc;
}

/* Every rank learns whether every rank got its memory: all go on, or all stop with -ENOMEM. */
static int agree_allocated(MPI_Comm comm, int ok_here)
{
    int ok_everywhere = 0;

    if (!MPI_OK(MPI_Allreduce(&ok_here, &ok_everywhere, 1, MPI_INT, MPI_MIN, comm)))
        return -EIO;
    return ok_everywhere ? 0 : -ENOMEM;
}

/* Rank 0's return value, on every rank. */
static int agree_on_result(MPI_Comm comm, int rc)
{
    return MPI_OK(MPI_Bcast(&rc, 1, MPI_INT, 0, comm)) ? rc : -EIO;
}

/* The static split of n items over size ranks: the first n % size ranks get one more. */
static void split(size_t n, int size, int *counts, int *displs)
{
    int base = (int)(n / (size_t)size), extra = (int)(n % (size_t)size), at = 0;

    for (int r = 0; r < size; r++) {
        counts[r] = base + (r < extra ? 1 : 0);
        displs[r] = at;
        at += counts[r];
    }
}

/* Runs fn over n items: results and statuses to their own index, failures as 0. */
static void compute(rmap_fn fn, const long *in, long *out, long *status, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int rc = fn(in[i], &out[i]);

        status[i] = rc;
        if (rc != 0)
            out[i] = 0;
    }
}

/* The first failure among n statuses, or 0. */
static int first_failure(const long *status, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (status[i] != 0)
            return (int)status[i];
    return 0;
}

/* One rank's share of a static split: its items, results and statuses, and the split. */
struct share {
    int *counts, *displs; /* per rank, in items */
    long *in, *out, *status;
    int mine; /* counts[rank] */
};

static void share_free(struct share *s)
{
    free(s->counts);
    free(s->displs);
    free(s->in);
    free(s->out);
    free(s->status);
}

/* Scatters the items of the static split and computes this rank's share. Collective.
 * ok_here is false when the caller already failed to allocate: every rank then stops. */
static int share_compute(MPI_Comm comm, int rank, int size, rmap_fn fn, const long *in, size_t n,
                         int ok_here, struct share *s)
{
    int rc;

    s->counts = malloc((size_t)size * sizeof(*s->counts));
    s->displs = malloc((size_t)size * sizeof(*s->displs));
    if (s->counts && s->displs) {
        split(n, size, s->counts, s->displs);
        s->mine = s->counts[rank];
    }
    /* + 1: malloc(0) may return NULL, which is not a failure. */
    s->in = malloc(((size_t)s->mine + 1) * sizeof(*s->in));
    s->out = malloc(((size_t)s->mine + 1) * sizeof(*s->out));
    s->status = malloc(((size_t)s->mine + 1) * sizeof(*s->status));
    rc = agree_allocated(comm, ok_here && s->counts && s->displs && s->in && s->out && s->status);
    if (rc != 0)
        return rc;
    if (!MPI_OK(
            MPI_Scatterv(in, s->counts, s->displs, MPI_LONG, s->in, s->mine, MPI_LONG, 0, comm)))
        return -EIO;
    compute(fn, s->in, s->out, s->status, (size_t)s->mine);
    return 0;
}

int rmap_static(MPI_Comm comm, rmap_fn fn, const long *in, long *out, size_t n)
{
    struct share s = { 0 };
    struct header h;
    long *status = NULL; /* every item's status, on rank 0 */
    int rank, size, rc;

    if (!MPI_OK(MPI_Comm_rank(comm, &rank)) || !MPI_OK(MPI_Comm_size(comm, &size)))
        return -EIO;
    rc = agree_on_header(comm, rank, &h, !fn || (n > 0 && (!in || !out)), n, 1);
    if (rc != 0)
        return rc;
    if (rank == 0)
        status = malloc(((size_t)h.n + 1) * sizeof(*status));
    if ((rc = share_compute(comm, rank, size, fn, in, (size_t)h.n, rank != 0 || status, &s)) == 0) {
        if (!MPI_OK(
                MPI_Gatherv(s.out, s.mine, MPI_LONG, out, s.counts, s.displs, MPI_LONG, 0, comm)) ||
            !MPI_OK(MPI_Gatherv(s.status, s.mine, MPI_LONG, status, s.counts, s.displs, MPI_LONG, 0,
                                comm)))
            rc = -EIO;
        else
            rc = agree_on_result(comm, rank == 0 ? first_failure(status, (size_t)h.n) : 0);
    }
    share_free(&s);
    free(status);
    return rc;
}

int rmap_sum(MPI_Comm comm, rmap_fn fn, const long *in, size_t n, long *sum)
{
    struct share s = { 0 };
    struct header h;
    /* MPI_MINLOC over (value, index) pairs keeps the smallest value and, among equal values,
     * the smallest index: here the value is the global index of a rank's first failure and
     * the "index" its error, so rank 0 gets the lowest-index failure without seeing them all. */
    struct {
        long at;
        int rc;
    } mine = { LONG_MAX, 0 }, lowest = { LONG_MAX, 0 };
    long partial = 0, total = 0;
    int rank, size, rc;

    if (!MPI_OK(MPI_Comm_rank(comm, &rank)) || !MPI_OK(MPI_Comm_size(comm, &size)))
        return -EIO;
    rc = agree_on_header(comm, rank, &h, !fn || !sum || (n > 0 && !in), n, 1);
    if (rc != 0)
        return rc;
    if ((rc = share_compute(comm, rank, size, fn, in, (size_t)h.n, 1, &s)) == 0) {
        for (int i = 0; i < s.mine; i++) {
            partial += s.out[i];
            if (s.status[i] != 0 && mine.at == LONG_MAX) {
                mine.at = (long)s.displs[rank] + i;
                mine.rc = (int)s.status[i];
            }
        }
        if (!MPI_OK(MPI_Reduce(&partial, &total, 1, MPI_LONG, MPI_SUM, 0, comm)) ||
            !MPI_OK(MPI_Reduce(&mine, &lowest, 1, MPI_LONG_INT, MPI_MINLOC, 0, comm)))
            rc = -EIO;
        else
            rc = agree_on_result(comm, rank == 0 ? lowest.rc : 0);
        if (rank == 0 && rc != -EIO)
            *sum = total;
    }
    share_free(&s);
    return rc;
}

/* ---- the dynamic map ---- */

/* Rank 0's side: every item goes out in chunks, each worker's results come back from
 * MPI_ANY_SOURCE, and every worker gets exactly one stop, once it holds no chunk. */
struct dispatch {
    MPI_Comm comm;
    const long *in;
    long *out;
    size_t n, chunk, next; /* next: the first item not yet sent */
    long *buf;             /* 2 + 2 * chunk longs: one message */
    size_t fail_at;        /* the lowest failed index so far (n: none) */
    int fail_rc;
};

/* Sends worker w its next chunk, or its stop when none is left. Returns 1 if a chunk went
 * out, 0 if the stop did, -EIO. */
static int dispatch_next(struct dispatch *d, int w)
{
    size_t count = d->n - d->next < d->chunk ? d->n - d->next : d->chunk;

    if (count == 0)
        return MPI_OK(MPI_Send(NULL, 0, MPI_LONG, w, TAG_STOP, d->comm)) ? 0 : -EIO;
    d->buf[0] = (long)d->next;
    d->buf[1] = (long)count;
    for (size_t i = 0; i < count; i++)
        d->buf[2 + i] = d->in[d->next + i];
    d->next += count;
    return MPI_OK(MPI_Send(d->buf, (int)(2 + count), MPI_LONG, w, TAG_WORK, d->comm)) ? 1 : -EIO;
}

/* Stores a result message at its own indexes (never in arrival order). */
static void dispatch_store(struct dispatch *d)
{
    size_t start = (size_t)d->buf[0], count = (size_t)d->buf[1];

    for (size_t i = 0; i < count; i++) {
        d->out[start + i] = d->buf[2 + i];
        if (d->buf[2 + count + i] != 0 && start + i < d->fail_at) {
            d->fail_at = start + i;
            d->fail_rc = (int)d->buf[2 + count + i];
        }
    }
}

static int dispatcher(struct dispatch *d, int size)
{
    int busy = 0, sent;
    MPI_Status st;

    for (int w = 1; w < size; w++) {
        if ((sent = dispatch_next(d, w)) < 0)
            return sent;
        busy += sent;
    }
    while (busy > 0) {
        if (!MPI_OK(MPI_Recv(d->buf, (int)(2 + 2 * d->chunk), MPI_LONG, MPI_ANY_SOURCE, TAG_RESULT,
                             d->comm, &st)))
            return -EIO;
        dispatch_store(d);
        busy--;
        if ((sent = dispatch_next(d, st.MPI_SOURCE)) < 0)
            return sent;
        busy += sent;
    }
    return d->fail_rc;
}

/* A worker's side: receive a chunk, compute it, send it back, until the stop comes. */
static int worker(MPI_Comm comm, rmap_fn fn, long *buf, long *results, size_t chunk)
{
    MPI_Status st;

    for (;;) {
        size_t count;

        if (!MPI_OK(MPI_Recv(buf, (int)(2 + chunk), MPI_LONG, 0, MPI_ANY_TAG, comm, &st)))
            return -EIO;
        if (st.MPI_TAG == TAG_STOP)
            return 0;
        count = (size_t)buf[1];
        /* results first, then statuses, after the two header longs: one message back. */
        compute(fn, buf + 2, results, buf + 2 + count, count);
        for (size_t i = 0; i < count; i++)
            buf[2 + i] = results[i];
        if (!MPI_OK(MPI_Send(buf, (int)(2 + 2 * count), MPI_LONG, 0, TAG_RESULT, comm)))
            return -EIO;
    }
}

int rmap_dynamic(MPI_Comm comm, rmap_fn fn, const long *in, long *out, size_t n, size_t chunk)
{
    struct header h;
    long *buf = NULL, *results = NULL, *status = NULL;
    int rank, size, rc;

    if (!MPI_OK(MPI_Comm_rank(comm, &rank)) || !MPI_OK(MPI_Comm_size(comm, &size)))
        return -EIO;
    rc = agree_on_header(comm, rank, &h,
                         !fn || chunk < 1 || chunk > INT_MAX / 4 || (n > 0 && (!in || !out)), n,
                         chunk);
    if (rc != 0)
        return rc;
    if (size == 1) { /* nobody to dispatch to */
        status = malloc(((size_t)h.n + 1) * sizeof(*status));
        if (!status)
            return -ENOMEM;
        compute(fn, in, out, status, (size_t)h.n);
        rc = first_failure(status, (size_t)h.n);
        free(status);
        return rc;
    }
    buf = malloc((2 + 2 * (size_t)h.chunk) * sizeof(*buf));
    results = malloc((size_t)h.chunk * sizeof(*results));
    if ((rc = agree_allocated(comm, buf && results)) == 0) {
        if (rank == 0) {
            struct dispatch d = { .comm = comm,
                                  .in = in,
                                  .out = out,
                                  .n = (size_t)h.n,
                                  .chunk = (size_t)h.chunk,
                                  .buf = buf,
                                  .fail_at = (size_t)h.n };

            rc = dispatcher(&d, size);
        } else {
            rc = worker(comm, fn, buf, results, (size_t)h.chunk);
        }
        rc = rc == -EIO ? rc : agree_on_result(comm, rc);
    }
    free(buf);
    free(results);
    return rc;
}
