"""Which rows of a batch each rank trains on: the rule that makes N ranks equal one process.

With N ranks, ``fit(batch_size=B)`` means what it means in one process: each step trains on
the next B rows of the (shuffled) data. Every rank draws the same shuffling permutation (rank 0's
NumPy random state is given to all before training) and forms the same global batch; rank r
then takes its contiguous slice of it::

    rows [start + B*r//N, start + B*(r+1)//N)        of the global batch [start, start + B)

so the slices are as even as possible (sizes differ by at most one) and together are exactly
the one-process batch. The gradients are averaged weighted by each rank's share of the batch
(rows / B), so that the step equals the one-process step of the whole batch up to float
rounding -- also for the last, smaller batch of an epoch, and for a batch with fewer rows than
ranks, where some ranks get no rows and add nothing. Validation batches are split the same way
and their metrics summed over the ranks.
"""


def local_rows(start, stop, rank, size):
    """The (first, last) rows of ``[start, stop)`` that ``rank`` of ``size`` takes."""
    rows = stop - start
    return start + rows * rank // size, start + rows * (rank + 1) // size


class Shard:
    """This rank's part of every batch a data adapter produces (``data.shard``).

    The data adapter calls ``local_rows(start, stop)`` for each global batch; ``on_batch``
    (the distributed optimizer's ``set_batch_share``) hears this rank's share of it, so the next
    gradient allreduce weights this rank's gradient by rows / B.
    """

    def __init__(self, rank, size, on_batch=None):
        if not 0 <= rank < size:
            raise ValueError(f"Shard: rank must be in [0, {size - 1}], got {rank}")
        self.rank = rank
        self.size = size
        self.on_batch = on_batch

    def local_rows(self, start, stop):
        first, last = local_rows(start, stop, self.rank, self.size)
        if self.on_batch is not None:
            self.on_batch(last - first, stop - start)
        return first, last

    def __repr__(self):
        return f"<Shard rank {self.rank} of {self.size}>"
