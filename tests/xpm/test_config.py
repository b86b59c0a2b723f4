import pytest

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


def test_set_options_override_nested_sections_field_by_field():
    from xpm.config import ConfigError, merge_overrides, parse_set_options

    overrides = parse_set_options(["optim.lr=0.01", "optim.decay_steps=[10, 20]", "engine.amp=false", "name=x"])
    assert overrides == {"optim": {"lr": 0.01, "decay_steps": [10, 20]}, "engine": {"amp": False}, "name": "x"}
    merged = merge_overrides({"optim": {"lr": 1.0, "max_steps": 5}}, {"optim": {"lr": 2.0, "momentum": None}, "engine": {"device": None}})
    assert merged == {"optim": {"lr": 2.0, "max_steps": 5}}
    with pytest.raises(ConfigError, match="FIELD=VALUE"):
        parse_set_options(["optim.lr"])
