"""A deterministic, resumable order of training batches: batch ``step`` is a pure function of
(seed, step), so a run resumed at step s sees exactly the batches an uninterrupted run would."""

from __future__ import annotations

import random

import torch


class BatchOrder(torch.utils.data.Sampler):
    """Yields, for steps ``start .. stop - 1``, lists of ``(index, flip)``: each epoch a fresh
    permutation of the dataset, with a horizontal flip drawn per sample when ``flip``."""

    def __init__(self, size: int, batch_size: int, *, seed: int, start: int, stop: int, flip: bool,
                 rank: int = 0, world_size: int = 1):
        if size < 1:
            raise ValueError("cannot train on an empty dataset.")
        # Under DDP every rank walks the same global order, ``batch_size`` x ``world_size`` samples
        # a step, and takes its own slice: disjoint samples, the same number of batches per rank.
        self.size, self.batch_size, self.seed = size, batch_size, seed
        self.rank, self.world_size = rank, world_size
        self.start, self.stop, self.flip = start, stop, flip
        self._epoch: tuple[int, list[int]] | None = None

    def __len__(self) -> int:
        return max(self.stop - self.start, 0)

    def _permutation(self, epoch: int) -> list[int]:
        if self._epoch is None or self._epoch[0] != epoch:
            order = list(range(self.size))
            random.Random(f"{self.seed}/epoch/{epoch}").shuffle(order)
            self._epoch = (epoch, order)
        return self._epoch[1]

    def batch(self, step: int) -> list[tuple[int, bool]]:
        items = []
        global_size = self.batch_size * self.world_size
        first = step * global_size + self.rank * self.batch_size
        for position in range(first, first + self.batch_size):
            epoch, offset = divmod(position, self.size)
            index = self._permutation(epoch)[offset]
            flip = self.flip and random.Random(f"{self.seed}/flip/{position}").random() < 0.5
            items.append((index, flip))
        return items

    def __iter__(self):
        for step in range(self.start, self.stop):
            yield self.batch(step)
