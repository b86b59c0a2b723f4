import json
import re
import shutil
from pathlib import Path

import pytest
from PIL import Image
from pycocotools.coco import COCO

from commands.cli import main
from xpm.config import ConfigError
from commands.predict.config import PredictConfig, read_class_names
from commands.predict.job import predict_images
from commands.predict.job import overlay_names


@pytest.fixture(scope="module")
def val_images(tiny_world):
    return sorted((tiny_world / "val" / "images").glob("*.jpg"))


def test_a_two_class_vocabulary_gives_those_classes_and_an_overlay_per_image(tiny_teacher, val_images, tmp_path):
    config = PredictConfig(inputs=tuple(map(str, val_images[:3])), model=str(tiny_teacher), classes=("dog", "bus"),
                           out=str(tmp_path / "out"), device="cpu", batch_size=2, draw_threshold=0.0)
    result = predict_images(config)
    assert (result.images, result.skipped) == (3, ())
    results = json.loads((tmp_path / "out" / "results.json").read_text())
    assert results and {r["category_id"] for r in results} <= {1, 2} and {r["image_id"] for r in results} <= {1, 2, 3}
    header = json.loads((tmp_path / "out" / "images.json").read_text())
    assert [c["name"] for c in header["categories"]] == ["dog", "bus"]
    for image, path in zip(header["images"], val_images):
        overlay = Image.open(tmp_path / "out" / image["overlay"])
        # The 64 px images are drawn at the display size, 512 px on the longer side.
        assert Image.open(path).size == (image["width"], image["height"]) == (64, 64) and overlay.size == (512, 512)
    # The two files load together as COCO ground truth and results.
    coco = COCO(str(tmp_path / "out" / "images.json"))
    assert len(coco.loadRes(str(tmp_path / "out" / "results.json")).anns) == len(results) == result.detections
    assert (tmp_path / "out" / "predict_config.yaml").is_file()


def test_a_rerun_into_the_same_folder_leaves_only_its_own_overlays(tiny_teacher, val_images, tmp_path):
    config = PredictConfig(inputs=tuple(map(str, val_images[:3])), model=str(tiny_teacher), classes=("dog",),
                           out=str(tmp_path / "out"), device="cpu", display_size=100)
    predict_images(config)
    assert len(list((tmp_path / "out" / "overlays").iterdir())) == 3
    predict_images(PredictConfig(**{**config.__dict__, "inputs": (str(val_images[3]),)}))
    assert [p.name for p in (tmp_path / "out" / "overlays").iterdir()] == [f"{val_images[3].stem}.png"]
    assert Image.open(next((tmp_path / "out" / "overlays").iterdir())).size == (100, 100)
    assert not list((tmp_path / "out").glob(".*"))


def test_an_overlay_draws_one_box_per_object_whatever_the_class():
    import numpy as np

    from commands.predict.job import drawn_detections

    detection = {"boxes": np.array([[0, 0, 10, 10], [1, 1, 10, 10], [20, 20, 30, 30], [40, 40, 50, 50]], np.float32),
                 "scores": np.array([0.6, 0.9, 0.7, 0.2], np.float32), "labels": np.array([1, 2, 1, 1])}
    assert drawn_detections(detection, draw_threshold=0.5, nms_iou=0.5).tolist() == [1, 2]
    assert sorted(drawn_detections(detection, draw_threshold=0.5, nms_iou=1.0).tolist()) == [0, 1, 2]


def test_the_counts_say_what_the_overlays_draw_and_why_not_the_rest(tiny_teacher, val_images, tmp_path, monkeypatch):
    import commands.predict.job as job

    boxes_drawn, draw = [], job.draw_instances
    monkeypatch.setattr(job, "draw_instances", lambda image, boxes, *a, **kw: boxes_drawn.append(len(boxes)) or draw(image, boxes, *a, **kw))
    config = PredictConfig(inputs=tuple(map(str, val_images[:4])), model=str(tiny_teacher), classes=("dog", "bus", "cat"),
                           out=str(tmp_path / "out"), device="cpu")
    for threshold in (0.0, 0.1, 1.0):
        boxes_drawn.clear()
        result = predict_images(PredictConfig(**{**config.__dict__, "draw_threshold": threshold}))
        scores = [r["score"] for r in json.loads((tmp_path / "out" / "results.json").read_text())]
        assert result.drawn == sum(boxes_drawn)
        assert result.below_draw_threshold == sum(s < threshold for s in scores)
        assert result.overlapping == result.detections - result.drawn - result.below_draw_threshold >= 0
    # The tiny teacher's detections all score below 1 and the overlays are empty.
    assert result.detections > 0 and result.drawn == 0 and result.below_draw_threshold == result.detections


def test_the_summary_names_the_drawn_detections_and_the_reason_for_each_other():
    from commands.predict.cli import drawn_summary
    from commands.predict.job import PredictResult

    config = PredictConfig(inputs=("x",), model="m", classes=("a", "b"), out="o", draw_threshold=0.5, nms_iou=0.4)
    summary = lambda detections, drawn, below: drawn_summary(PredictResult(Path("o"), 3, detections, drawn, below, (), 1.0), config)
    assert summary(400, 12, 380) == ("400 detection(s) of 2 class(es) in results.json, 12 drawn on the overlays; not drawn: "
                                     "380 scoring below --draw-threshold 0.5, 8 overlapping a better-scoring box of any class "
                                     "(--nms-iou 0.4)")
    assert summary(400, 0, 400).endswith("not drawn: 400 scoring below --draw-threshold 0.5; lower --draw-threshold to draw them")
    assert summary(5, 5, 0) == "5 detection(s) of 2 class(es) in results.json, 5 drawn on the overlays"
    assert summary(0, 0, 0).endswith("0 drawn on the overlays; the checkpoint's detector let none through its own score threshold")


def test_bad_files_are_reported_and_the_rest_proceed(tiny_teacher, val_images, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(val_images[0], folder / "good.jpg")
    (folder / "notes.txt").write_text("not an image")
    (folder / "cut.jpg").write_bytes(val_images[1].read_bytes()[:200])
    (folder / "empty.png").write_bytes(b"")
    (folder / ".hidden").write_text("ignored")
    heard = []
    config = PredictConfig(inputs=(str(folder),), model=str(tiny_teacher), classes=("cat",), out=str(tmp_path / "out"), device="cpu")
    result = predict_images(config, on_skip=heard.append)
    assert result.images == 1
    reasons = {s.path.name: s.reason for s in result.skipped}
    assert set(reasons) == {"notes.txt", "cut.jpg", "empty.png"} and [s.path.name for s in heard] == sorted(reasons)
    assert reasons["notes.txt"].startswith("not a readable image") and "BytesIO" not in reasons["notes.txt"]
    assert reasons["empty.png"] == "the file is empty"
    assert [s["file"] for s in json.loads((tmp_path / "out" / "images.json").read_text())["skipped"]] == [str(folder / n) for n in sorted(reasons)]
    assert (tmp_path / "out" / "overlays" / "good.png").is_file()


def test_the_model_sees_the_pixels_the_overlay_shows(tiny_teacher, tmp_path, monkeypatch):
    import commands.predict.job as job

    seen, drawn, detect, overlay = [], [], job.detect, job._overlay
    monkeypatch.setattr(job, "detect", lambda model, images, **kw: detect(model, (seen.append(i) or i for i in images), **kw))
    monkeypatch.setattr(job, "_overlay", lambda pixels, *args, **kw: drawn.append(pixels) or overlay(pixels, *args, **kw))
    Image.new("RGBA", (40, 32), (0, 0, 0, 0)).save(tmp_path / "clear.png")
    config = PredictConfig(inputs=(str(tmp_path / "clear.png"),), model=str(tiny_teacher), classes=("cat",),
                           out=str(tmp_path / "out"), device="cpu")
    assert predict_images(config).images == 1
    # One decode serves both, with the pipeline's conversions: transparency composited onto white.
    assert len(seen) == len(drawn) == 1 and seen[0] is drawn[0]
    assert seen[0].shape == (32, 40, 3) and (seen[0] == 255).all()


def test_cli_exit_codes(tiny_teacher, val_images, tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("x")
    assert main(["predict", str(tmp_path / "notes.txt"), str(val_images[0]), "--model", str(tiny_teacher), "--classes", "cat",
                 "--out", str(tmp_path / "out"), "--device", "cpu", "--draw-threshold", "1"]) == 0
    assert re.search(r"\n\d+ detection\(s\) of 1 class\(es\) in results.json, 0 drawn on the overlays; not drawn: \d+ scoring "
                     r"below --draw-threshold 1; lower --draw-threshold to draw them\n", capsys.readouterr().out)
    assert main(["predict", str(tmp_path / "notes.txt"), "--model", str(tiny_teacher), "--classes", "cat",
                 "--out", str(tmp_path / "out"), "--device", "cpu"]) == 1
    err = capsys.readouterr().err
    assert "skipped" in err and "notes.txt" in err and "none of the 1 file(s) could be processed" in err
    for argv, message in [
        (["--classes", " , "], "no class names"),
        (["--classes", "cat,dog,cat"], "'cat' given more than once"),
        (["--classes", "cat", "--out", str(tmp_path / "notes.txt")], "argument --out: .*notes.txt is a file; give a folder"),
        (["--classes", "cat", "--model", str(tmp_path / "none.pt")], "argument --model: .*none.pt does not exist"),
        (["--classes", "cat", "--model", str(tmp_path / "notes.txt")], "is not a file xpm can read"),
        (["--classes-file", str(tmp_path / "none.txt")], "argument --classes-file: .* does not exist"),
    ]:
        defaults = {"--model": str(tiny_teacher), "--out": str(tmp_path / "o")}
        options = dict(zip(argv[::2], argv[1::2]))
        args = [a for key, value in {**defaults, **options}.items() for a in (key, value)]
        assert main(["predict", str(tmp_path), *args]) == 2, argv
        assert re.search(message, capsys.readouterr().err), argv
    assert not (tmp_path / "o").exists()


def test_class_names_from_the_option_and_a_file(tmp_path):
    (tmp_path / "classes.txt").write_text("# my classes\nastronaut\n\n  teddy bear \ndinosaur\n")
    assert read_class_names("bus, fire hydrant,", tmp_path / "classes.txt") == ("bus", "fire hydrant", "astronaut", "teddy bear", "dinosaur")
    (tmp_path / "latin1.txt").write_bytes("caf\xe9\n".encode("latin-1"))
    with pytest.raises(ConfigError, match="not UTF-8"):
        read_class_names(None, tmp_path / "latin1.txt")
    with pytest.raises(ConfigError, match="--batch-size 0"):
        PredictConfig(inputs=("x",), model="m", classes=("a",), out="o", batch_size=0)


def test_overlay_names_never_collide():
    assert overlay_names([Path("a/x.jpg"), Path("b/x.png"), Path("a/y.jpg")]) == ["x-0.png", "x-1.png", "y.png"]
