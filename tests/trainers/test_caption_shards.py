import numpy as np
import pytest
import torch

from xpm.text.word_embeddings import WordEmbeddings
from trainers.data.caption_shards import GroundingVocabulary, caption_noun_stream, decode_captioned_sample
from xpm.config import ConfigError
from xpm.text.embedder import TextEmbedder


def _jpeg(format: str = "JPEG") -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(np.full((40, 48, 3), 200, dtype=np.uint8)).save(buffer, format=format)
    return buffer.getvalue()


@pytest.mark.parametrize("extension,format", [("jpg", "JPEG"), ("png", "PNG"), ("webp", "WEBP")])
def test_a_sample_decodes_to_its_image_and_caption_nouns(extract, extension, format):
    """Any image member the pipeline labels, not only the synthetic world's jpg."""
    image, target = decode_captioned_sample({"__key__": "k1", extension: _jpeg(format), "txt": b"a dog and two dogs near a tree"},
                                            extract)
    assert image.shape == (3, 40, 48) and 0.7 < float(image.mean()) < 0.9
    assert target == {"nouns": ("dog", "tree"), "key": "k1"}


@pytest.mark.parametrize("sample", [
    {"__key__": "k", "jpg": _jpeg(), "txt": b"running quickly"},
    {"__key__": "k", "jpg": b"not an image", "txt": b"a dog"},
    {"__key__": "k", "txt": b"a dog"},
])
def test_samples_without_nouns_or_a_usable_image_are_skipped(sample, extract):
    assert decode_captioned_sample(sample, extract) is None


def test_the_stream_batches_the_world_captions(tiny_world, extract):
    batches = list(caption_noun_stream(str(tiny_world / "captioned" / "*.tar"), extract, seed=0, shuffle_buffer=4,
                                       epoch=3, batch_size=2))
    assert len(batches) == 3
    images, targets = batches[0]
    assert len(images) == 2 and images[0].shape[0] == 3
    assert all(t["nouns"] for t in targets)


def test_a_pattern_that_matches_no_shard_is_named(tmp_path, extract):
    with pytest.raises(ConfigError, match="captioned"):
        caption_noun_stream(str(tmp_path / "*.tar"), extract, seed=0, shuffle_buffer=1, epoch=1, batch_size=1)


def test_the_grounding_vocabulary_holds_each_noun_of_the_batch_once():
    embedder = TextEmbedder()
    vocabulary = GroundingVocabulary(WordEmbeddings(embedder))
    embeddings, named = vocabulary([("hot_dog", "tree"), ("tree", "car", "hot dog")])
    assert embeddings.shape == (3, embedder.dim)
    assert [rows.tolist() for rows in named] == [[0, 1], [0, 1, 2]]
    torch.testing.assert_close(embeddings[2], torch.from_numpy(embedder.embed(["car"])[0]))
