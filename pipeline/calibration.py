"""Per-word thresholds for a ``+calibrated@P`` alignment rule, from a sample of the inputs
before any image is labelled: the teacher scores every word the sample's captions name against
every sampled image, and a word's threshold is the P-th percentile of its best score on the
images whose captions do not mention it (``xpm.modeling.alignment.calibration_thresholds``).

The sample is the first ``calibration_images`` decodable images with object nouns, in input
order, so a rerun computes the same thresholds. A word the sample never names has none: its
labels are kept as the rule's other parts leave them.
"""

from __future__ import annotations

import torch
from apache_beam.io.filesystems import FileSystems

from xpm.io.decode import DecodeLimits, decode_sample
from xpm.text.word_embeddings import WordEmbeddings
from xpm.io.shard_inputs import shard_name_of
from xpm.nouns import NounExtractor
from pipeline.read.shard_reader import read_shard
from xpm.io.records import Reject
from xpm.io.images import rgb_tensor
from xpm.modeling.alignment import calibration_thresholds

BATCH_SIZE = 8


def _sample(inputs: list[str], extract: NounExtractor, limits: DecodeLimits, count: int):
    """``(pixels, lemmas)`` of the first ``count`` usable samples of ``inputs``."""
    taken = 0
    for path in inputs:
        with FileSystems.open(path, compression_type="uncompressed") as stream:
            for raw in read_shard(stream, shard_name_of(path)):
                sample = raw if isinstance(raw, Reject) else decode_sample(raw, limits)
                if isinstance(sample, Reject):
                    continue
                lemmas = [noun.lemma for noun in extract(sample.caption).nouns]
                if not lemmas:
                    continue
                yield sample.pixels, set(lemmas)
                taken += 1
                if taken >= count:
                    return


def alignment_thresholds(model, inputs: list[str], extract: NounExtractor, embed: WordEmbeddings, *, limits: DecodeLimits,
                         images: int, percentile: float) -> dict[str, float]:
    device = next(model.parameters()).device
    sample = list(_sample(inputs, extract, limits, images))
    words = sorted({word for _, lemmas in sample for word in lemmas})
    if not words:
        return {}
    vocabulary = torch.from_numpy(embed(words)).to(device)
    best_scores = []
    with torch.inference_mode():
        for start in range(0, len(sample), BATCH_SIZE):
            batch = sample[start : start + BATCH_SIZE]
            _, evidence = model.region_evidence([rgb_tensor(pixels, device) for pixels, _ in batch])
            for (_, lemmas), regions in zip(batch, evidence):
                best = (vocabulary @ regions.embeddings.T).max(dim=1).values.cpu().tolist()
                best_scores.append((lemmas, dict(zip(words, best))))
    return calibration_thresholds(best_scores, percentile)
