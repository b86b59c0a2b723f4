"""An endless, seeded, shuffled stream over tar shards (webdataset), decoded and optionally
batched: what the student's pseudo-label stream and the teacher's caption stream share."""

from __future__ import annotations

import random
from typing import Callable

import webdataset as wds


def resampled_stream(shards: list[str], *, decode: Callable[[dict], object | None], seed: int, shuffle_buffer: int,
                     epoch: int, batch_size: int | None = None) -> wds.DataPipeline:
    """``decode`` turns a webdataset sample (``__key__`` and one bytes entry per extension) into
    an item, or None to drop it; items are collated in batches of ``batch_size`` when given, and
    each rank and worker yields ``epoch`` items (samples or batches) per epoch. The same seed
    gives the same stream: shards are drawn by an RNG seeded from ``seed`` and the rank and
    worker (``WebDataset(resampled=True)`` would reseed from the clock and the pid on every run)."""
    from trainers.engine.batch import collate

    stages = [
        wds.ResampledShards(shards, seed=seed, deterministic=True),
        wds.tarfile_to_samples(),
        wds.shuffle(shuffle_buffer, rng=random.Random(seed)),
        wds.map(decode),
    ]
    # with_epoch counts what the whole pipeline yields, so batching must come before it.
    if batch_size is not None:
        stages.append(wds.batched(batch_size, collation_fn=collate))
    return wds.DataPipeline(*stages).with_epoch(epoch)
