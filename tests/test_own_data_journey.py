"""The path docs/own-data.md documents, run as a user would, through each input form: captions
with images as a user holds them -> xpm shard -> xpm train-teacher -> xpm pseudo-label -> xpm
dataset report -> xpm train-student -> xpm eval -> xpm predict, at toy size. The commands here
are the ones in the document, so neither can drift from the code."""

import json
from importlib import resources
from pathlib import Path

import pytest

from commands.cli import main
from xpm.io.captioned_shards import read_captioned_shard

TEACHER_YAML = str(resources.files("xpm.configs") / "teacher_cpu.yaml")
STUDENT_YAML = str(resources.files("xpm.configs") / "student_cpu.yaml")


@pytest.fixture(scope="module")
def own_images(tiny_world, tmp_path_factory):
    """The tiny world's captioned images as plain JPEG files with their captions."""
    folder = tmp_path_factory.mktemp("own") / "photos"
    folder.mkdir()
    captions = {}
    for shard in sorted((tiny_world / "captioned").glob("*.tar")):
        for key, parts in read_captioned_shard(shard):
            (folder / f"img_{key}.jpg").write_bytes(parts["jpg"])
            captions[f"img_{key}.jpg"] = parts["txt"].decode()
    return folder, captions


def _source_arguments(form: str, folder: Path, captions: dict[str, str]) -> list[str]:
    root = folder.parent
    if form == "captions-tsv-with-local-paths":
        (root / "captions.tsv").write_text("".join(f"{text}\t{name}\n" for name, text in captions.items()))
        return ["--tsv", str(root / "captions.tsv"), "--images", str(folder)]
    if form == "img2dataset-files":
        files = root / "files" / "00000"
        files.mkdir(parents=True, exist_ok=True)
        lines = ["caption\turl"]
        for index, (name, text) in enumerate(captions.items()):
            url = f"https://example.com/{name}"
            (files / f"{index:09d}.jpg").write_bytes((folder / name).read_bytes())
            (files / f"{index:09d}.json").write_text(json.dumps({"url": url}))
            lines.append(f"{text}\t{url}")
        (root / "cc.tsv").write_text("\n".join(lines) + "\n")
        return ["--tsv", str(root / "cc.tsv"), "--images", str(root / "files")]
    assert form == "coco-captions"
    names = list(captions)
    data = {"images": [{"id": i, "file_name": name} for i, name in enumerate(names, start=1)],
            "annotations": [{"id": i, "image_id": i, "caption": captions[name]} for i, name in enumerate(names, start=1)]}
    (root / "captions_train.json").write_text(json.dumps(data))
    return ["--coco-captions", str(root / "captions_train.json"), "--images", str(folder)]


@pytest.fixture(scope="module")
def teacher(tiny_world, module_dir):
    out = module_dir / "teacher"
    assert main(["train-teacher", "--config", TEACHER_YAML, "--train-gt", str(tiny_world / "train" / "instances_base.json"),
                 "--train-images", str(tiny_world / "train" / "images"), "--split", str(tiny_world / "split.json"),
                 "--max-steps", "2", "--set", "optim.batch_size=2", "--device", "cpu", "--out", str(out), "--quiet"]) == 0
    return out / "model.pt"


@pytest.mark.slow
@pytest.mark.parametrize("form", ["captions-tsv-with-local-paths", "img2dataset-files", "coco-captions"])
def test_own_captions_end_to_end(form, own_images, teacher, tiny_world, tmp_path, capsys):
    folder, captions = own_images
    shards, datasets = tmp_path / "shards", tmp_path / "datasets"
    assert main(["shard", *_source_arguments(form, folder, captions), "--out", str(shards), "--shard-size", "4", "--quiet"]) == 0
    assert f"{len(captions)} rows" in capsys.readouterr().out
    assert main(["pseudo-label", "--input", str(shards / "*.tar"), "--teacher", str(teacher), "--output", str(datasets),
                 "--name", "mine", "--device", "cpu"]) == 0
    captured = capsys.readouterr()
    assert "pseudo-label: 2/2 shards" in captured.err and (datasets / "mine" / "v1" / "manifest.json").is_file()
    assert main(["dataset", "report", str(datasets / "mine"), "--out", str(tmp_path / "report"), "--samples", "4"]) == 0
    assert (tmp_path / "report" / "index.html").is_file()
    assert main(["train-student", "--config", STUDENT_YAML, "--data", str(datasets / "mine" / "v1"),
                 "--base-gt", str(tiny_world / "train" / "instances_base.json"), "--base-images", str(tiny_world / "train" / "images"),
                 "--split", str(tiny_world / "split.json"), "--init", str(teacher), "--max-steps", "2",
                 "--set", "optim.batch_size=2", "--set", "caption_batch_size=2", "--set", "shuffle_buffer=4",
                 "--device", "cpu", "--out", str(tmp_path / "student"), "--quiet"]) == 0
    student = tmp_path / "student" / "model.pt"
    assert main(["eval", "--model", str(student), "--gt", str(tiny_world / "val" / "instances.json"),
                 "--images", str(tiny_world / "val" / "images"), "--split", str(tiny_world / "split.json"),
                 "--device", "cpu", "--json", str(tmp_path / "eval.json"), "--quiet"]) == 0
    assert {"bbox", "segm"} <= set(json.loads((tmp_path / "eval.json").read_text()))
    assert main(["predict", str(tiny_world / "val" / "images"), "--model", str(student), "--classes", "dog,bus,cake",
                 "--out", str(tmp_path / "predict"), "--device", "cpu", "--quiet"]) == 0
    assert len(list((tmp_path / "predict" / "overlays").iterdir())) == len(list((tiny_world / "val" / "images").iterdir()))
