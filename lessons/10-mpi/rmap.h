/* rmap.h: a map over MPI ranks, the same pool.map as lesson 05, across machines.
 *
 * Python:                                          C (this lesson):
 *     with ProcessPoolExecutor(4) as ex:               (mpirun -np 4 ./prog: 4 ranks start)
 *         out = list(ex.map(f, items))                 rmap_static(comm, f, in, out, n);
 *     # mpi4py, on every rank:
 *     part = comm.scatter(chunks, root=0)              MPI_Scatterv (inside rmap_static)
 *     res = comm.gather([f(x) for x in part], root=0)  MPI_Gatherv  (inside rmap_static)
 *     total = comm.reduce(sum(res), op=MPI.SUM)        rmap_sum(comm, f, in, n, &total);
 *     # uneven work: hand out chunks on demand         rmap_dynamic(comm, f, in, out, n, chunk);
 *
 * An MPI program is started as several copies (ranks), on one machine or many, by mpirun.
 * Nothing is shared: the ranks exchange messages. Every function here is COLLECTIVE: every rank
 * of comm calls it, with the same fn, and returns from it; a rank that skips the call, or
 * leaves early, leaves the others waiting forever in a send, a receive or a collective.
 *
 * Where the data lives: only rank 0 (the root) has the items and gets the results. in, out and
 * n are read on rank 0 only; the other ranks pass NULL, NULL and 0 (what they pass is ignored),
 * and learn n, and their items, from rank 0's messages.
 *
 * Order: out[i] is fn's result for in[i], whatever rank computed it and whenever it finished.
 *
 * Errors: functions return 0 or a negative errno, and the SAME value on every rank: rank 0
 * decides and tells the others (a broadcast), so that no rank goes on while another gave up.
 * fn may fail on an item (it returns a negative errno); the map still runs every other item to
 * the end, stores 0 for the failed ones, and returns the error of the failed item with the
 * lowest index. An MPI call that fails is returned as -EIO.
 *
 * MPI_Abort ends every rank of the job at once, like exit() for the whole program on every
 * machine. It is right in a program's main, when a rank cannot go on and the others would
 * otherwise wait for it forever. A library function must never call it (nor exit): its caller
 * could have reported the error, cleaned up, or tried something else, and the ranks it kills
 * belong to a program the library does not own. These functions return the error instead, and
 * keep the collective calls matched on every rank so that nobody hangs.
 *
 * Threads: call these from one thread of each rank (MPI_Init's default, MPI_THREAD_SINGLE).
 * fn runs on the calling thread of whichever rank computes the item.
 *
 * This file is read-only: the tests are written against it.
 */
#ifndef RMAP_H
#define RMAP_H

#include <stddef.h>

#include <mpi.h>

/* What the map applies: *result = f(x); returns 0, or a negative errno if x cannot be done
 * (then *result is ignored). It must not call MPI: it runs between the map's messages. */
typedef int (*rmap_fn)(long x, long *result);

/* STATIC partition: rank 0 splits in[0..n-1] into size contiguous shares, as equal as can be
 * (the first n % size ranks get one item more: shares differ by at most one), sends each rank
 * its share with MPI_Scatterv, every rank (rank 0 too) computes its own share, and rank 0
 * collects the results in order with MPI_Gatherv. Each item is computed exactly once.
 * One round of messages, no matter how uneven the items are: the best split when every item
 * costs the same, and the worst when a few are expensive (one rank gets them all).
 * Returns (on every rank) 0; the lowest-index failure of fn; -EINVAL if on rank 0 fn is NULL,
 * or in or out is NULL while n > 0, or n > INT_MAX (MPI counts are int) (nothing runs);
 * -ENOMEM (on every rank, whichever ran out); -EIO. Blocks until rank 0 has
 * every result. n == 0 is fine and does nothing. */
int rmap_static(MPI_Comm comm, rmap_fn fn, const long *in, long *out, size_t n);

/* DYNAMIC partition: rank 0 is a dispatcher that computes nothing; the other ranks (workers)
 * each ask for work by returning results. Rank 0 sends every worker a first chunk of up to
 * `chunk` items (their indexes and values), then waits for a message from ANY worker
 * (MPI_ANY_SOURCE): it stores that chunk's results at their own indexes and sends that worker
 * the next chunk, until every item is out; each worker then gets a stop message, once every
 * chunk it was sent has come back. A worker that is given nothing (more workers than chunks)
 * is sent its stop at once. So a worker with cheap items comes back sooner and takes more: the
 * work balances itself, at the cost of a message round trip per chunk (a bigger chunk: fewer
 * messages, coarser balance).
 * With a single rank (size 1) there is nobody to dispatch to: rank 0 computes every item.
 * chunk is read on rank 0 only; it must be at least 1.
 * Returns as rmap_static, and -EINVAL also when chunk < 1 on rank 0. */
int rmap_dynamic(MPI_Comm comm, rmap_fn fn, const long *in, long *out, size_t n, size_t chunk);

/* MAP-REDUCE: the sum of fn(in[i]) over every item, into *sum on rank 0. The items are split
 * as in rmap_static; each rank adds up its own results, and MPI_Reduce with MPI_SUM adds the
 * ranks' partial sums on rank 0 (no result but the partial sum travels). sum is read on rank 0
 * only (others may pass NULL); a failed item adds nothing.
 * Returns as rmap_static (-EINVAL also when sum is NULL on rank 0). */
int rmap_sum(MPI_Comm comm, rmap_fn fn, const long *in, size_t n, long *sum);

#endif
