import shutil

import pytest


def pytest_collection_modifyitems(config, items):
    """``gpu`` tests run only where CUDA is; elsewhere they are skipped, saying why."""
    import torch

    if torch.cuda.is_available():
        return
    skip = pytest.mark.skip(reason="needs CUDA")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="module")
def module_dir(request, tmp_path_factory):
    """A folder the tests of one module share, removed once they are done: a trained run writes
    about 180 MB (weights and optimizer state), and the whole suite held 11 GB until its end."""
    path = tmp_path_factory.mktemp(request.module.__name__.rsplit(".", 1)[-1])
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def lexicon():
    from xpm.nouns import load_lexicon

    return load_lexicon()


@pytest.fixture(scope="session")
def extract(lexicon):
    from xpm.nouns import NounExtractor

    return NounExtractor(lexicon)


@pytest.fixture(scope="session")
def lemmas(extract):
    def nouns_of(caption):
        return [noun.lemma for noun in extract(caption).nouns]

    return nouns_of


@pytest.fixture(scope="session")
def tiny_world(tmp_path_factory):
    """A synthetic world small enough to train and evaluate on in seconds."""
    from xpm.synth.config import SynthConfig
    from xpm.synth.world import synthesize

    config = SynthConfig(seed=3, train_images=24, caption_images=8, val_images=12, test_images=12, image_size=64, shard_size=4)
    return synthesize(config, tmp_path_factory.mktemp("tiny") / "world").out_dir


@pytest.fixture(scope="session")
def tiny_model_config():
    from xpm.modeling.config import ModelConfig

    return ModelConfig(
        backbone="resnet18", fpn_channels=16, fpn_levels=2, backbone_weights="none", min_size=64, max_size=64,
        anchor_sizes=(16, 32, 64), rpn_pre_nms_top_n_train=100, rpn_post_nms_top_n_train=50,
        rpn_pre_nms_top_n_test=100, rpn_post_nms_top_n_test=50, rpn_batch_size_per_image=32,
        box_batch_size_per_image=32, box_representation_size=32, mask_head_layers=1, roi_sampling_ratio=1,
    )


@pytest.fixture(scope="session")
def tiny_teacher_config(tiny_world, tiny_model_config):
    """Four steps of the teacher on the tiny world."""
    from trainers.engine.config import EngineConfig, OptimConfig
    from trainers.teacher.config import TeacherConfig

    return TeacherConfig(
        train_gt=str(tiny_world / "train" / "instances_base.json"),
        train_images=str(tiny_world / "train" / "images"),
        split=str(tiny_world / "split.json"),
        model=tiny_model_config,
        optim=OptimConfig(optimizer="adamw", lr=1e-3, warmup_steps=2, schedule="constant", max_steps=4, batch_size=2),
        engine=EngineConfig(device="cpu", num_workers=0, checkpoint_every=2),
    )


@pytest.fixture(scope="session")
def tiny_teacher(tiny_teacher_config, tmp_path_factory):
    """A teacher checkpoint trained for two steps on the tiny world: real format, real model."""
    import dataclasses

    from trainers.teacher.train import train_teacher

    config = dataclasses.replace(tiny_teacher_config, optim=dataclasses.replace(tiny_teacher_config.optim, max_steps=2))
    return train_teacher(config, tmp_path_factory.mktemp("tiny_teacher"), progress=False).model_path


@pytest.fixture(scope="session")
def tiny_student_yaml(tmp_path_factory):
    """A student config for the tiny world: two steps, small batches."""
    import yaml

    path = tmp_path_factory.mktemp("student_config") / "student.yaml"
    path.write_text(yaml.safe_dump({
        "caption_batch_size": 2, "shuffle_buffer": 4,
        "optim": {"optimizer": "adamw", "lr": 1e-3, "warmup_steps": 1, "schedule": "constant", "max_steps": 2, "batch_size": 2},
        "engine": {"device": "cpu", "num_workers": 0, "checkpoint_every": 1},
    }))
    return path


@pytest.fixture(scope="session")
def tiny_version(tiny_world, tiny_teacher, tmp_path_factory):
    """The tiny world's captioned shards pseudo-labeled by the tiny teacher: a dataset version."""
    from pipeline.config import PseudoLabelConfig
    from pipeline.job import run_pseudo_label

    config = PseudoLabelConfig(input=str(tiny_world / "captioned" / "*.tar"), teacher=str(tiny_teacher),
                               output=str(tmp_path_factory.mktemp("versions")), name="tiny", device="cpu")
    return run_pseudo_label(config).version_dir


@pytest.fixture(scope="session")
def truth_from_pseudo_labels():
    """``(version, path[, rename]) -> category_of``: writes COCO ground truth at ``path`` whose
    instances are the version's own pseudo labels (class = the noun, or ``rename(noun)``)."""
    import json

    from schemas.pseudo_label import PseudoLabels
    from xpm.io.captioned_shards import read_captioned_shard

    def _truth_from_pseudo_labels(version, path, rename=lambda word: word):
        images, annotations, names = [], [], {}
        for shard in version.manifest["shards"]:
            for key, parts in read_captioned_shard(version.shard_path(shard["name"])):
                labels = PseudoLabels.from_json(json.loads(parts["json"]))
                images.append({"id": len(images) + 1, "file_name": key, "width": labels.width, "height": labels.height})
                for noun in labels.nouns:
                    x1, y1, x2, y2 = noun.box_xyxy
                    category = names.setdefault(rename(noun.word), len(names) + 1)
                    annotations.append({"id": len(annotations) + 1, "image_id": images[-1]["id"], "category_id": category,
                                        "segmentation": noun.mask_rle, "bbox": [x1, y1, x2 - x1, y2 - y1], "iscrowd": 0})
        categories = [{"id": i, "name": name} for name, i in names.items()]
        path.write_text(json.dumps({"images": images, "annotations": annotations, "categories": categories}))
        return {word: word for word in names}

    return _truth_from_pseudo_labels


@pytest.fixture(scope="session")
def png_bomb() -> bytes:
    """A decompression bomb: 45 bytes of PNG (signature, header, end) claiming 20000 x 20000 pixels."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 20000, 20000, 8, 2, 0, 0, 0)) + chunk(b"IEND", b"")
