import shutil

import pytest
import torch

from trainers.data.pseudo_label_shards import open_version_data, pseudo_label_stream
from xpm.config import ConfigError


def test_the_stream_yields_decoded_pseudo_targets(tiny_version):
    data = open_version_data(tiny_version)
    assert data.vocabulary.embeddings.shape[0] == len(data.vocabulary.words) > 0
    samples = list(pseudo_label_stream(data, seed=0, shuffle_buffer=4, epoch=5))
    assert len(samples) == 5
    image, target = samples[0]
    assert image.shape[0] == 3 and image.dtype == torch.float32
    k = len(target["boxes"])
    assert k > 0 and target["masks"].shape == (k, *image.shape[1:]) and target["vocab_index"].shape == (k,)
    assert target["vocab_index"].max() < len(data.vocabulary.words)


def test_the_same_seed_gives_the_same_stream_and_another_seed_another(tiny_version):
    data = open_version_data(tiny_version)

    def keys(seed):
        return [target["key"] for _, target in pseudo_label_stream(data, seed=seed, shuffle_buffer=4, epoch=12)]

    first = keys(0)
    assert keys(0) == first
    assert any(keys(seed) != first for seed in (1, 2, 3))
    batches = list(pseudo_label_stream(data, seed=0, shuffle_buffer=4, epoch=3, batch_size=2))
    assert len(batches) == 3 and [t["key"] for t in batches[0][1]] == first[:2]


def test_a_corrupted_shard_stops_training_with_its_name(tiny_version, tmp_path):
    copy = tmp_path / "v1"
    shutil.copytree(tiny_version, copy)
    shard = sorted((copy / "shards").glob("*.tar"))[0]
    data = bytearray(shard.read_bytes())
    data[700] ^= 0xFF
    shard.write_bytes(bytes(data))
    with pytest.raises(ConfigError, match=shard.name):
        open_version_data(copy)
    shard.unlink()
    with pytest.raises(ConfigError, match="missing"):
        open_version_data(copy)
