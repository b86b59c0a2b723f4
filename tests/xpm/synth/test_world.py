import hashlib
import io
import json
import re
import tarfile

import numpy as np
import pyarrow.parquet as pq
import pytest
from PIL import Image
from pycocotools.coco import COCO

from schemas.captioned_shard import PARQUET_SCHEMA
from schemas.split import SplitError
from schemas.world import WORLD_FORMAT, WORLD_VERSION, read_world_version
from xpm.config import ConfigError
from xpm.io.captioned_shards import read_captioned_shard
from xpm.masks import decode_rle
from xpm.synth.catalog import CATALOG, CLASSES_BY_NAME
from xpm.synth.compose import compose_scene
from xpm.synth.config import SynthConfig
from xpm.synth.glyphs import MASK_ALPHA, transformed_sprite
from xpm.synth.world import load_split, synthesize

TINY = SynthConfig(train_images=6, caption_images=7, val_images=4, test_images=5, shard_size=3, image_size=64, seed=3)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    return synthesize(TINY, tmp_path_factory.mktemp("w") / "world").out_dir


def _digests(root):
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(root.rglob("*")) if p.is_file()}


def test_catalog_is_large_and_spans_categories():
    assert len(CATALOG) >= 60
    assert {c.category for c in CATALOG} == {"animal", "vehicle", "food", "household"}


def test_default_split_mirrors_coco_with_neighbours():
    split = load_split(None)
    assert len(split.base) > 2 * len(split.target) and split.caption_only
    for target, neighbour in [("cat", "dog"), ("bus", "truck"), ("cow", "horse"), ("cake", "cupcake")]:
        assert target in split.target and neighbour in split.base


def test_single_object_mask_equals_glyph_alpha():
    rng = np.random.default_rng(0)
    scene = compose_scene(rng, [CLASSES_BY_NAME["dog"]], 96)
    (instance,) = scene.instances
    rng = np.random.default_rng(0)
    from xpm.synth.backgrounds import random_background
    from xpm.synth.compose import SIZE_RANGE, MAX_ANGLE

    random_background(rng, 96)
    sprite = transformed_sprite(
        "🐕", size=max(8, int(rng.uniform(*SIZE_RANGE) * 96)), angle=float(rng.uniform(-MAX_ANGLE, MAX_ANGLE)),
        flip=bool(rng.random() < 0.5),
    )
    x = int(rng.integers(0, max(1, 96 - sprite.width + 1)))
    y = int(rng.integers(0, max(1, 96 - sprite.height + 1)))
    alpha = np.zeros((96, 96), bool)
    alpha[y : y + sprite.height, x : x + sprite.width] = np.asarray(sprite.getchannel("A")) >= MASK_ALPHA
    np.testing.assert_array_equal(instance.mask, alpha)


def test_occluded_objects_keep_only_their_visible_part():
    rng = np.random.default_rng(5)
    scene = compose_scene(rng, [CLASSES_BY_NAME[n] for n in ("dog", "cat", "bus", "cake", "cup", "car")], 64)
    masks = np.stack([i.mask for i in scene.instances])
    assert masks.sum(axis=0).max() <= 1


def test_coco_files_load_and_masks_match(world):
    train = COCO(str(world / "train" / "instances_base.json"))
    split = json.loads((world / "split.json").read_text())
    assert {c["name"] for c in train.loadCats(train.getCatIds())} <= set(split["base"])
    val = COCO(str(world / "val" / "instances.json"))
    assert len(val.getImgIds()) == TINY.val_images
    annotation = val.loadAnns(val.getAnnIds())[0]
    mask = val.annToMask(annotation)
    np.testing.assert_array_equal(mask.astype(bool), decode_rle(annotation["segmentation"]))
    assert annotation["area"] == int(mask.sum())
    image = Image.open(world / "val" / "images" / val.loadImgs(annotation["image_id"])[0]["file_name"])
    assert image.size == (TINY.image_size, TINY.image_size)


def test_captioned_layout_matches_img2dataset(world):
    captioned = world / "captioned"
    assert sorted(p.name for p in captioned.glob("0000*")) == [
        f"{s:05d}{suffix}" for s in range(3) for suffix in (".parquet", ".tar", "_stats.json")
    ]
    with tarfile.open(captioned / "00000.tar") as tar:
        names = tar.getnames()
        assert names[:3] == ["000000000.jpg", "000000000.txt", "000000000.json"]
        assert all(m.mtime == 0 and m.uid == 0 for m in tar.getmembers())
    table = pq.read_table(captioned / "00000.parquet")
    assert table.schema.equals(PARQUET_SCHEMA)
    stats = json.loads((captioned / "00002_stats.json").read_text())
    assert stats["count"] == stats["successes"] == 1
    samples = list(read_captioned_shard(captioned / "00000.tar"))
    assert [k for k, _ in samples] == table.column("key").to_pylist()
    key, parts = samples[0]
    meta = json.loads(parts["json"])
    assert meta["key"] == key and meta["caption"] == parts["txt"].decode()
    assert meta["sha256"] == hashlib.sha256(parts["jpg"]).hexdigest()
    assert Image.open(io.BytesIO(parts["jpg"])).size == (TINY.image_size, TINY.image_size)
    assert set(meta) == {"key", "url", "caption", "status", "error_message", "width", "height", "original_width",
                         "original_height", "sha256"}, "the shards carry the synthetic truth"
    truth = json.loads((captioned / "instances_all.json").read_text())
    image = next(i for i in truth["images"] if i["file_name"] == key)
    shown = {truth_category["name"] for truth_category in truth["categories"]
             if any(a["image_id"] == image["id"] and a["category_id"] == truth_category["id"] for a in truth["annotations"])}
    assert set(image["caption_named"]) <= shown and not set(image["caption_absent_named"]) & shown


def test_same_seed_same_bytes(world, tmp_path):
    again = synthesize(TINY, tmp_path / "again").out_dir
    assert _digests(again) == _digests(world)
    other = synthesize(SynthConfig(**{**TINY.__dict__, "seed": 4}), tmp_path / "other").out_dir
    assert _digests(other) != _digests(world)


def test_rerun_is_reused_and_nothing_is_overwritten(world):
    before = _digests(world)
    assert synthesize(TINY, world).reused
    with pytest.raises(ConfigError, match="already exists"):
        synthesize(SynthConfig(**{**TINY.__dict__, "caption_noise": 0.5}), world)
    assert _digests(world) == before


def test_caption_noise_names_absent_objects(tmp_path):
    noisy = SynthConfig(train_images=0, val_images=0, test_images=0, caption_images=40, shard_size=40, image_size=48, caption_noise=1.0)
    out = synthesize(noisy, tmp_path / "noisy").out_dir
    truth = json.loads((out / "captioned" / "instances_all.json").read_text())
    names = {c["id"]: c["name"] for c in truth["categories"]}
    for image in truth["images"]:
        shown = {names[a["category_id"]] for a in truth["annotations"] if a["image_id"] == image["id"]}
        assert image["caption_absent_named"] and not set(image["caption_absent_named"]) & shown


def test_bad_split_and_config_are_named(tmp_path):
    bad = tmp_path / "split.json"
    bad.write_text(json.dumps({"base": ["dog", "unicorn"], "target": ["cat"]}))
    with pytest.raises(SplitError, match="unicorn"):
        load_split(bad)
    bad.write_text(json.dumps({"base": ["dog"], "target": ["dog"]}))
    with pytest.raises(SplitError, match="both"):
        load_split(bad)
    with pytest.raises(ValueError, match="caption_noise"):
        SynthConfig(caption_noise=1.5)


def test_test_part_is_held_out_and_drawn_like_val(world):
    val = COCO(str(world / "val" / "instances.json"))
    test = COCO(str(world / "test" / "instances.json"))
    assert len(test.getImgIds()) == TINY.test_images
    assert {c["name"] for c in test.loadCats(test.getCatIds())} == {c["name"] for c in val.loadCats(val.getCatIds())}
    # its own random stream: no test image repeats a val image
    val_bytes = {p.read_bytes() for p in (world / "val" / "images").iterdir()}
    assert not val_bytes & {p.read_bytes() for p in (world / "test" / "images").iterdir()}


def test_a_world_is_stamped_with_its_format(world):
    assert json.loads((world / "world.json").read_text()) == {"format": WORLD_FORMAT, "version": WORLD_VERSION}
    assert read_world_version(world) == WORLD_VERSION


@pytest.mark.parametrize("stamp, found", [
    (None, r"format 1 \(no world.json: written before worlds were stamped\)"),
    ({"format": WORLD_FORMAT, "version": WORLD_VERSION + 1}, f"format {WORLD_VERSION + 1}"),
    ({"format": "xpm.split", "version": WORLD_VERSION}, r"an unknown format \(world.json names no version of it\)"),
    ("not json", r"an unknown format \(world.json names no version of it\)"),
])
def test_a_world_of_another_format_is_refused_not_reused(world, tmp_path, capsys, stamp, found):
    import shutil

    from commands.cli import main

    old = tmp_path / "old"
    shutil.copytree(world, old)
    if stamp is None:
        (old / "world.json").unlink()
        # Worlds written before the stamp may predate test/ too.
        shutil.rmtree(old / "test")
    else:
        (old / "world.json").write_text(stamp if isinstance(stamp, str) else json.dumps(stamp))
    before = _digests(old)
    with pytest.raises(ConfigError, match=re.escape(str(old)) + " holds a world of " + found):
        synthesize(TINY, old)
    assert main(["synth", str(old), "--config", str(old / "synth_config.yaml")]) == 2
    line = capsys.readouterr().err.splitlines()[-1]
    assert re.fullmatch(f"xpm synth: error: {re.escape(str(old))} holds a world of {found}; this xpm reuses only format "
                        f"{WORLD_VERSION}: synthesize into a new folder, or delete {re.escape(str(old))} and run again.", line)
    assert _digests(old) == before and not list(tmp_path.glob("*.partial"))
