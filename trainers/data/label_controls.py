"""The labels a student trains on, for an experiment's controls: the version's pseudo labels as
they are, their nouns shuffled among images (do the labels' contents matter?), or the truth (for
each caption noun whose object is present, that instance's box and mask: the like-for-like upper
bound of any selection rule, synthetic worlds only). The images, captions, losses and schedule
stay the student's; only each sample's targets change, so the version stays as it was written."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from schemas.pseudo_label import PseudoLabels
from trainers.data.pseudo_label_shards import VersionData
from xpm.io.captioned_shards import read_captioned_shard
from xpm.masks import decode_rle

LABEL_SOURCES = ("pseudo", "shuffled", "truth")

Relabel = Callable[[dict], dict]


def _records(data: VersionData):
    for shard in data.shards:
        for key, parts in read_captioned_shard(Path(shard)):
            yield key, PseudoLabels.from_json(json.loads(parts["json"]))


def shuffled_nouns(data: VersionData, *, seed: int) -> Relabel:
    """Every label keeps its box and mask and gets the noun of another label, drawn by one
    permutation of all the version's labels (so each noun keeps its frequency)."""
    rows = data.vocabulary.index_of()
    keys, nouns = [], []
    for key, labels in _records(data):
        for noun in labels.nouns:
            keys.append(key)
            nouns.append(rows[noun.vocab_id])
    permuted = np.asarray(nouns, dtype=np.int64)[np.random.default_rng(seed).permutation(len(nouns))]
    by_key: dict[str, list[int]] = defaultdict(list)
    for key, noun in zip(keys, permuted.tolist()):
        by_key[key].append(noun)

    def relabel(target: dict) -> dict:
        return {**target, "vocab_index": torch.tensor(by_key.get(target["key"], []), dtype=torch.int64)}

    return relabel


def truth_labels(data: VersionData, truth_json: str | Path, split) -> Relabel:
    """For every caption noun of a sample (labelled or left unlabeled by the rule, when the version's
    vocabulary holds it) whose class the image holds: an instance of that class, the largest first
    when a class is named more than once; nouns of absent classes get no label. Teacher scores
    are set to 1."""
    from trainers.evaluation.pseudo_label_quality import category_of_nouns, truth_by_key

    category_of = category_of_nouns(split)
    truth = truth_by_key(Path(truth_json))
    rows = data.vocabulary.index_of()
    by_key: dict[str, tuple[list[int], list[list[float]], list[dict]]] = {}
    for key, labels in _records(data):
        instances = defaultdict(list)
        for name, rle, (x, y, w, h) in truth.get(key, []):
            instances[name].append((w * h, [x, y, x + w, y + h], rle))
        for name in instances:
            instances[name].sort(key=lambda instance: -instance[0])
        nouns, boxes, masks = [], [], []
        for noun in (*labels.nouns, *labels.unlabeled):
            present = instances.get(category_of.get(noun.word), [])
            # V_C holds the nouns the rule labelled somewhere in the version: one never labelled
            # has no embedding here, and no student of this version could learn it either.
            if present and noun.vocab_id in rows:
                _, box, rle = present.pop(0)
                nouns.append(rows[noun.vocab_id])
                boxes.append(box)
                masks.append(rle)
        by_key[key] = (nouns, boxes, masks)
    if not any(nouns for nouns, _, _ in by_key.values()):
        raise ValueError(f"{truth_json} holds no instance of any caption noun of the version: is it the truth of "
                         "these captioned images (WORLD/captioned/instances_all.json)?")

    def relabel(target: dict) -> dict:
        nouns, boxes, masks = by_key.get(target["key"], ([], [], []))
        height, width = target["masks"].shape[-2:]
        return {
            **target,
            "boxes": torch.tensor(boxes, dtype=torch.float32).reshape(-1, 4),
            "masks": torch.from_numpy(np.stack([decode_rle(m) for m in masks]).astype(np.uint8)) if masks
            else torch.zeros((0, height, width), dtype=torch.uint8),
            "vocab_index": torch.tensor(nouns, dtype=torch.int64),
            "teacher_scores": torch.ones(len(nouns)),
        }

    return relabel
