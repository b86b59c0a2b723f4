"""``xpm synth``: the synthetic captioned world every later stage runs on by default.

Layout of ``OUT_DIR``::

    world.json                     the format that wrote it (schemas/world.py)
    split.json                     base / target / caption_only classes
    synth_config.yaml              the config that made it
    train/images/*.jpg             base-GT training images (target objects appear, unannotated)
    train/instances_base.json      COCO instances of the base classes only
    captioned/NNNNN.tar|.parquet|_stats.json   img2dataset webdataset shards (image + caption)
    captioned/instances_all.json   the synthetic truth of the captioned images: every instance,
                                   and per image the classes its caption names that are shown
                                   (caption_named) and not shown (caption_absent_named). For
                                   measuring pseudo labels only: the shards carry none of it.
    val/images/*.jpg, val/instances.json       validation GT of base and target classes: for
                                               choosing settings
    test/images/*.jpg, test/instances.json     held-out GT drawn like val/ from its own random
                                               stream: for reporting, never for choosing

The directory appears only when complete (it is built as ``OUT_DIR.partial`` and renamed).
Synthesized again with the same config, a world is reused only when ``world.json`` names this
format (:mod:`schemas.world`); one of another format, or written before worlds were stamped, is
refused, never reused or overwritten.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Callable

import numpy as np

from schemas.captioned_shard import sample_key
from schemas.split import ClassSplit, read_split, write_split
from schemas.world import STAMP_FILE, UNSTAMPED_VERSION, WORLD_VERSION, read_world_version, write_world_stamp
from xpm.config import ConfigError, load_config, save_config
from xpm.io.captioned_shards import CaptionedSample, write_captioned_shard
from xpm.synth.captions import make_caption
from xpm.synth.catalog import CATALOG, CLASSES_BY_NAME, ObjectClass
from xpm.synth.coco_writer import CocoInstancesWriter
from xpm.synth.compose import compose_scene, encode_jpeg
from xpm.synth.config import SynthConfig

CONFIG_FILE = "synth_config.yaml"
_PART_SEEDS = {"train": 1, "captioned": 2, "val": 3, "test": 4}


def default_split_path() -> Path:
    return Path(str(resources.files("xpm.synth").joinpath("default_split.json")))


def load_split(path: str | Path | None) -> ClassSplit:
    """The split at ``path`` (or the packaged default), checked against the catalog."""
    return read_split(path or default_split_path(), known=set(CLASSES_BY_NAME))


@dataclass
class SynthSummary:
    out_dir: Path
    train_images: int
    caption_images: int
    val_images: int
    test_images: int
    shards: int
    reused: bool = False


def _draw_classes(rng, count, main: list[ObjectClass], other: list[ObjectClass], other_share: float):
    picks = []
    for _ in range(count):
        pool = other if other and rng.random() < other_share else main
        picks.append(pool[int(rng.integers(len(pool)))])
    return picks


def _object_count(rng, config: SynthConfig) -> int:
    return int(rng.integers(config.min_objects, config.max_objects + 1))


def _write_images(part, config, count, out, classes_for, writer, tick):
    (out / part / "images").mkdir(parents=True, exist_ok=True)
    for index in range(count):
        rng = np.random.default_rng([config.seed, _PART_SEEDS[part], index])
        scene = compose_scene(rng, classes_for(rng), config.image_size)
        file_name = f"{index:06d}.jpg"
        (out / part / "images" / file_name).write_bytes(encode_jpeg(scene.image, config.jpeg_quality))
        writer.add(index + 1, file_name, config.image_size, config.image_size, scene.instances)
        tick()


def _write_evaluation_part(part: str, config: SynthConfig, split: ClassSplit, out: Path, tick) -> None:
    """``part``/images and ``part``/instances.json: base and target ground truth, drawn alike for
    val/ and test/ but each from its own random stream."""
    base = [CLASSES_BY_NAME[n] for n in split.base]
    target = [CLASSES_BY_NAME[n] for n in split.target]
    writer = CocoInstancesWriter(list(split.base + split.target), f"xpm synthetic world: {part} GT, base + target")
    _write_images(
        part, config, getattr(config, f"{part}_images"), out,
        lambda rng: _draw_classes(rng, _object_count(rng, config), base, target, config.val_target_share),
        writer, tick,
    )
    writer.write(out / part / "instances.json")


def _check_format(out_dir: Path) -> None:
    """Refuse a world another format wrote: the same config need not give it the same bytes."""
    found = read_world_version(out_dir)
    if found == WORLD_VERSION:
        return
    if not (out_dir / STAMP_FILE).exists():
        found_text = f"format {UNSTAMPED_VERSION} (no {STAMP_FILE}: written before worlds were stamped)"
    elif found is None:
        found_text = f"an unknown format ({STAMP_FILE} names no version of it)"
    else:
        found_text = f"format {found}"
    raise ConfigError(f"{out_dir} holds a world of {found_text}; this xpm reuses only format {WORLD_VERSION}: "
                      f"synthesize into a new folder, or delete {out_dir} and run again.")


def synthesize(config: SynthConfig, out_dir: str | Path, progress: Callable[[int], None] | None = None) -> SynthSummary:
    out_dir = Path(out_dir)
    split = load_split(config.split)
    shards = -(-config.caption_images // config.shard_size)
    summary = SynthSummary(out_dir, config.train_images, config.caption_images, config.val_images, config.test_images, shards)
    tick = (lambda: progress(1)) if progress else (lambda: None)
    if out_dir.exists():
        previous = out_dir / CONFIG_FILE
        if previous.is_file():
            _check_format(out_dir)
            if load_config(SynthConfig, previous) == config:
                summary.reused = True
                return summary
        raise ConfigError(
            f"{out_dir} already exists and was not made by this synth config; choose a new OUT_DIR "
            "or remove it (nothing is overwritten)."
        )
    staging = out_dir.with_name(out_dir.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)

    base = [CLASSES_BY_NAME[n] for n in split.base]
    everything = [CLASSES_BY_NAME[n] for n in split.all_classes]
    unlabeled = [CLASSES_BY_NAME[n] for n in split.target + split.caption_only]

    train = CocoInstancesWriter(list(split.base), "xpm synthetic world: base-class training GT")
    _write_images(
        "train", config, config.train_images, staging,
        lambda rng: _draw_classes(rng, _object_count(rng, config), base, unlabeled, config.unlabeled_share),
        train, tick,
    )
    train.write(staging / "train" / "instances_base.json")

    _write_evaluation_part("val", config, split, staging, tick)
    _write_evaluation_part("test", config, split, staging, tick)

    truth = CocoInstancesWriter(list(split.all_classes), "xpm synthetic world: truth of the captioned images")
    for shard in range(shards):
        samples = []
        for index in range(shard * config.shard_size, min(config.caption_images, (shard + 1) * config.shard_size)):
            rng = np.random.default_rng([config.seed, _PART_SEEDS["captioned"], index])
            scene = compose_scene(rng, _draw_classes(rng, _object_count(rng, config), everything, [], 0.0), config.image_size)
            caption = make_caption(
                rng, [i.cls for i in scene.instances], everything,
                omit_rate=config.omit_rate, noise_rate=config.caption_noise,
            )
            key = sample_key(shard, index - shard * config.shard_size, config.shard_size)
            truth.add(index + 1, key, config.image_size, config.image_size, scene.instances,
                      caption_named=caption.named, caption_absent_named=caption.absent_named)
            samples.append(
                CaptionedSample(
                    key=key,
                    image=encode_jpeg(scene.image, config.jpeg_quality),
                    caption=caption.text,
                    width=config.image_size,
                    height=config.image_size,
                    url=f"synth://seed-{config.seed}/{key}.jpg",
                )
            )
            tick()
        write_captioned_shard(staging / "captioned", shard, samples)
    truth.write(staging / "captioned" / "instances_all.json")

    write_split(split, staging / "split.json")
    write_world_stamp(staging)
    save_config(config, staging / CONFIG_FILE)
    staging.rename(out_dir)
    return summary


def catalog_listing(split: ClassSplit) -> list[dict]:
    groups = split.group_of
    return [
        {"name": c.name, "emoji": c.emoji, "category": c.category, "synonyms": list(c.synonyms), "default_split": groups.get(c.name, "-")}
        for c in CATALOG
    ]
