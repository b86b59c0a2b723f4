import numpy as np
import pytest
from PIL import Image

from pipeline.dataset.render import DISPLAY_SIZE, read_samples, render_sample
from xpm.io.dataset_version import open_version
from commands.cli import main


@pytest.fixture(scope="module")
def version(tiny_version):
    return open_version(str(tiny_version))


def test_samples_carry_their_pseudo_labels(version):
    samples = list(read_samples(version, 3))
    index = {row["key"]: row for row in version.index}
    assert [s.key for s in samples] == sorted(index)[:3]
    words = {row["word"] for row in version.vocab}
    for sample in samples:
        row = index[sample.key]
        assert sample.image.size == (row["width"], row["height"]) and sample.caption == row["caption"]
        assert set(sample.words) <= words and len(sample.words) == len(sample.boxes) == len(sample.scores)
        assert sample.masks.shape == (len(sample.words), row["height"], row["width"])
        assert max(render_sample(sample).size) == max(DISPLAY_SIZE, *sample.image.size)


def test_show_renders_n_samples_and_a_contact_sheet(tiny_version, tmp_path, capsys):
    assert main(["dataset", "show", str(tiny_version), "--samples", "3", "--out", str(tmp_path / "show")]) == 0
    assert "rendered 3 sample(s)" in capsys.readouterr().out
    pictures = sorted(p.name for p in (tmp_path / "show").iterdir())
    assert len(pictures) == 4 and "contact_sheet.png" in pictures
    rendered = np.asarray(Image.open(tmp_path / "show" / pictures[0]))
    assert rendered.shape[2] == 3 and len(np.unique(rendered.reshape(-1, 3), axis=0)) > 100


@pytest.mark.parametrize("argv, message", [
    (["--samples", "3"], "--samples N and --out DIR go together"),
    (["--samples", "0", "--out", "{tmp}/o"], "--samples 0: render at least 1"),
    (["--samples", "2", "--out", "{tmp}/file"], "is a file"),
])
def test_show_refuses_bad_options(tiny_version, tmp_path, capsys, argv, message):
    (tmp_path / "file").write_text("x")
    assert main(["dataset", "show", str(tiny_version), *[a.format(tmp=tmp_path) for a in argv]]) == 2
    assert message in capsys.readouterr().err
