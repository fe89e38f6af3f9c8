/* rmap.c: a map over MPI ranks; see rmap.h for the contract, README.md for the idea.
 *
 * Work from the top down: rmap_static first (MPI_Bcast, MPI_Scatterv, MPI_Gatherv), then
 * rmap_sum (the same split, MPI_Reduce), then rmap_dynamic (MPI_Send, MPI_Recv from
 * MPI_ANY_SOURCE). `make check L=10` grades it; `make hint L=10` helps.
 */
#include "rmap.h"

#include <errno.h>

int rmap_static(MPI_Comm comm, rmap_fn fn, const long *in, long *out, size_t n)
{
    /* TODO: rank 0 checks the arguments and broadcasts n (or the error); every rank works out
     * the counts and displacements, MPI_Scatterv the items, compute the share, MPI_Gatherv the
     * results (and each item's status) back to rank 0, which broadcasts the return value. */
    (void)comm;
    (void)fn;
    (void)in;
    (void)out;
    (void)n;
    return -ENOSYS;
}

int rmap_dynamic(MPI_Comm comm, rmap_fn fn, const long *in, long *out, size_t n, size_t chunk)
{
    /* TODO: rank 0 dispatches chunks and collects results from MPI_ANY_SOURCE until every item
     * is back, then sends each worker a stop; workers loop: receive, compute, send back. */
    (void)comm;
    (void)fn;
    (void)in;
    (void)out;
    (void)n;
    (void)chunk;
    return -ENOSYS;
}

int rmap_sum(MPI_Comm comm, rmap_fn fn, const long *in, size_t n, long *sum)
{
    /* TODO: the static split, each rank sums its share, MPI_Reduce(MPI_SUM) onto rank 0. */
    (void)comm;
    (void)fn;
    (void)in;
    (void)n;
    (void)sum;
    return -ENOSYS;
}
