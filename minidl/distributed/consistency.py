"""Checks, before training, that every rank trains the same thing.

Data-parallel training only makes sense if every rank has the same model, optimizer and data
layout; a difference would not fail -- it would hang (ranks making different numbers of steps
wait for each other forever) or silently train nonsense (gradients of different shapes summed).
So before the first step each rank describes what it is about to do in a small dictionary of
plain values, the descriptions are gathered, and any rank whose description differs from rank
0's stops every rank with a ``RankMismatchError`` that names the ranks and the differences.
"""

from minidl.errors import RankMismatchError

_MOST_DIFFERENCES_SHOWN = 5


def check_same_on_every_rank(communicator, description, what, hint=""):
    """Raise RankMismatchError (on every rank alike) unless ``description`` is equal everywhere."""
    if communicator.size == 1:
        return
    gathered = communicator.allgather_object(description, f"the check that every rank has the same {what}")
    reference = gathered[0]
    problems = []
    for rank, other in enumerate(gathered[1:], start=1):
        problems += [f"rank {rank}: {difference}" for difference in _differences(reference, other)]
    if problems:
        shown = problems[:_MOST_DIFFERENCES_SHOWN]
        more = len(problems) - len(shown)
        raise RankMismatchError(
            f"minidl.distributed: the ranks do not have the same {what}; against rank 0, "
            + "; ".join(shown) + (f"; and {more} more" if more > 0 else "") + (f". {hint}" if hint else "")
        )


def ranks_unlike_rank_0(values):
    """The ranks whose entry of ``values`` (one per rank, as gathered) differs from rank 0's."""
    return [rank for rank, value in enumerate(values) if value != values[0]]


def _differences(reference, other, path=""):
    """Human-readable differences between two descriptions: dicts and lists are compared item
    by item, anything else (numbers, strings, tuples) as one value."""
    if isinstance(reference, dict) and isinstance(other, dict):
        found = []
        for key in list(reference) + [key for key in other if key not in reference]:
            label = f"{path}{key}"
            if key not in other:
                found.append(f"{label} is missing (rank 0: {reference[key]!r})")
            elif key not in reference:
                found.append(f"{label} is {other[key]!r}, which rank 0 does not have")
            else:
                found += _differences(reference[key], other[key], f"{label}.")
        return found
    if isinstance(reference, list) and isinstance(other, list) and len(reference) == len(other):
        found = []
        for index, (mine, theirs) in enumerate(zip(reference, other)):
            found += _differences(mine, theirs, f"{path.rstrip('.')}[{index}].")
        return found
    if reference != other:
        label = path.rstrip(".") or "the value"
        return [f"{label} is {other!r} where rank 0 has {reference!r}"]
    return []
