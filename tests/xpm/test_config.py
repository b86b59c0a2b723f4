import pytest
import yaml

from xpm.config import ConfigError, load_config, save_config
from xpm.synth.config import SynthConfig


def test_yaml_then_overrides_then_saved_round_trip(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("seed: 5\nimage_size: 64\n")
    config = load_config(SynthConfig, path, {"image_size": 96, "caption_noise": None})
    assert (config.seed, config.image_size, config.caption_noise) == (5, 96, SynthConfig().caption_noise)
    save_config(config, tmp_path / "saved.yaml")
    assert load_config(SynthConfig, tmp_path / "saved.yaml") == config


@pytest.mark.parametrize(
    "text, message",
    [("sed: 1\n", "unknown field"), ("seed: many\n", "seed must be int"), ("- 1\n", "mapping"), ("image_size: 8\n", "image_size")],
)
def test_bad_config_is_named(tmp_path, text, message):
    path = tmp_path / "c.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_config(SynthConfig, path)


def test_missing_config_file(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(SynthConfig, tmp_path / "nope.yaml")
