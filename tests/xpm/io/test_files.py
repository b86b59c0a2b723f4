import pytest
from PIL import Image

from xpm.config import ConfigError
from xpm.io.files import output_folder, save_png


def test_output_folder_is_created_and_a_file_is_refused(tmp_path):
    assert output_folder(tmp_path / "a" / "b").is_dir()
    (tmp_path / "f").write_text("x")
    with pytest.raises(ConfigError, match="--out .* is a file"):
        output_folder(tmp_path / "f")
    with pytest.raises(ConfigError, match="--dir .* a parent of it is a file"):
        output_folder(tmp_path / "f" / "sub", option="--dir")


def test_save_png_leaves_no_partial_file(tmp_path):
    save_png(Image.new("RGB", (3, 2)), tmp_path / "x.png")
    assert Image.open(tmp_path / "x.png").size == (3, 2)
    assert [p.name for p in tmp_path.iterdir()] == ["x.png"]
