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


@pytest.fixture(scope="session")
def lexicon():
    from pipeline.nouns import load_lexicon

    return load_lexicon()


@pytest.fixture(scope="session")
def extract(lexicon):
    from pipeline.nouns import NounExtractor

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

    config = SynthConfig(seed=3, train_images=24, caption_images=8, val_images=12, image_size=64, shard_size=4)
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
def tiny_teacher(tiny_world, tiny_model_config, tmp_path_factory):
    """A teacher checkpoint trained for two steps on the tiny world: real format, real model."""
    from trainers.engine.config import EngineConfig, OptimConfig
    from trainers.teacher.config import TeacherConfig
    from trainers.teacher.train import train_teacher

    config = TeacherConfig(
        train_gt=str(tiny_world / "train" / "instances_base.json"),
        train_images=str(tiny_world / "train" / "images"),
        split=str(tiny_world / "split.json"),
        model=tiny_model_config,
        optim=OptimConfig(optimizer="adamw", lr=1e-3, warmup_steps=1, schedule="constant", max_steps=2, batch_size=2),
        engine=EngineConfig(device="cpu", num_workers=0, checkpoint_every=2),
    )
    return train_teacher(config, tmp_path_factory.mktemp("tiny_teacher"), progress=False).model_path
