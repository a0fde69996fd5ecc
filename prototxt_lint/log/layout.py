"""The order of a run's debug_info lines, which is the same in every iteration (the net does
not change during a run): where the param diffs and the ReLU tops are. The doctor checks an
iteration that has this layout with list operations that run in C (a sum, a ``map``) instead
of a Python loop over every value, which is what keeps a debug_info log of hundreds of MB
fast; an iteration with another layout (the forward-only pass after the last iteration, a
truncated one) is checked value by value.
"""

from __future__ import annotations

from prototxt_lint.log.records import BlobStat

Key = tuple[str, str, str, str, str]


def key(b: BlobStat) -> Key:
    return (b.direction, b.layer, b.role, b.blob, b.kind)


class Layout:
    def __init__(self, blobs: list[BlobStat]) -> None:
        self.keys = [key(b) for b in blobs]
        #: positions of the param diffs (backward), with their zero-gradient key
        self.param_diffs = [(i, f"{b.layer}/{b.blob}") for i, b in enumerate(blobs)
                            if b.role == "param" and b.kind == "diff"]
        #: (position of a ReLU's top, position of the first forward top of that blob name)
        self.relus: list[tuple[int, int]] = []
        first: dict[str, int] = {}
        for i, b in enumerate(blobs):
            if b.direction == "forward" and b.role == "top":
                first.setdefault(b.blob, i)
                if "relu" in b.layer.lower():
                    self.relus.append((i, first[b.blob]))

    def fits(self, blobs: list[BlobStat]) -> bool:
        """Has ``blobs`` this layout? (same length, same series first, midway and last)"""
        n = len(blobs)
        keys = self.keys
        if n != len(keys) or not n:
            return False
        middle = n // 2
        return (key(blobs[0]) == keys[0] and key(blobs[middle]) == keys[middle]
                and key(blobs[-1]) == keys[-1])
