import json

import pyarrow.parquet as pq
import pytest
from PIL import Image

from pipeline.read.captioned_sources import coco_captions, conceptual_captions, images_by_url, read_url_map
from pipeline.shard import write_shards
from commands.cli import main
from xpm.io.captioned_shards import read_captioned_shard


@pytest.fixture
def cc_folder(tmp_path):
    files = tmp_path / "files" / "00000"
    files.mkdir(parents=True)
    for index, colour in enumerate(("red", "blue")):
        Image.new("RGB", (40, 30), colour).save(files / f"00000000{index}.jpg")
        (files / f"00000000{index}.json").write_text(json.dumps({"url": f"http://x/{index}.jpg"}))
    (tmp_path / "cc.tsv").write_text("caption\turl\na dog on grass\thttp://x/0.jpg\na red bus\thttp://x/1.jpg\na missing cat\thttp://x/9.jpg\n")
    return tmp_path


def test_cc_tsv_with_header_and_img2dataset_files(cc_folder):
    rows = list(conceptual_captions(cc_folder / "cc.tsv", images_by_url(cc_folder / "files")))
    assert [r.caption for r in rows] == ["a dog on grass", "a red bus", "a missing cat"]
    assert rows[0].image.name == "000000000.jpg" and rows[2].image is None and rows[2].error


def test_cc_tsv_without_header_and_a_url_map(tmp_path):
    Image.new("RGB", (20, 20)).save(tmp_path / "a.jpg")
    (tmp_path / "map.tsv").write_text("http://x/a.jpg\ta.jpg\n")
    (tmp_path / "cc.tsv").write_text("a cup\thttp://x/a.jpg\n")
    rows = list(conceptual_captions(tmp_path / "cc.tsv", read_url_map(tmp_path / "map.tsv")))
    assert len(rows) == 1 and rows[0].image == (tmp_path / "a.jpg").resolve()


def test_shards_have_stable_keys_hashes_and_record_missing_images(cc_folder, tmp_path):
    rows = list(conceptual_captions(cc_folder / "cc.tsv", images_by_url(cc_folder / "files")))
    summary = write_shards(rows, tmp_path / "a", shard_size=2)
    write_shards(rows, tmp_path / "b", shard_size=2)
    assert (summary.shards, summary.samples, summary.missing) == (2, 3, 1)
    assert (tmp_path / "a" / "00000.tar").read_bytes() == (tmp_path / "b" / "00000.tar").read_bytes()
    assert [key for key, _ in read_captioned_shard(tmp_path / "a" / "00000.tar")] == ["000000000", "000000001"]
    table = pq.read_table(tmp_path / "a" / "00001.parquet").to_pylist()
    assert table[0]["status"] == "failed_to_download" and table[0]["key"] == "000010000"
    ok = pq.read_table(tmp_path / "a" / "00000.parquet").to_pylist()
    assert all(len(row["sha256"]) == 64 for row in ok)


def test_coco_captions_join_an_images_captions(tmp_path):
    Image.new("RGB", (20, 20)).save(tmp_path / "1.jpg")
    data = {"images": [{"id": 1, "file_name": "1.jpg"}, {"id": 2, "file_name": "2.jpg"}],
            "annotations": [{"image_id": 1, "caption": "A dog"}, {"image_id": 1, "caption": "a  brown dog."}]}
    (tmp_path / "captions.json").write_text(json.dumps(data))
    (tmp_path / "3.jpg").mkdir()
    data["images"].append({"id": 3, "file_name": "3.jpg"})
    (tmp_path / "captions.json").write_text(json.dumps(data))
    rows = list(coco_captions(tmp_path / "captions.json", tmp_path))
    assert rows[0].caption == "A dog. a brown dog." and rows[0].image is not None
    assert [(row.image, row.error) for row in rows[1:]] == [(None, "image file not found"), (None, "image path is a folder")]


def test_shard_command_refuses_an_ambiguous_source(cc_folder, tmp_path, capsys):
    assert main(["shard", "--tsv", str(cc_folder / "cc.tsv"), "--out", str(tmp_path / "o")]) == 2
    assert "--images" in capsys.readouterr().err
    assert main(["shard", "--tsv", str(cc_folder / "cc.tsv"), "--images", str(cc_folder / "files"), "--out", str(tmp_path / "o")]) == 0


@pytest.fixture
def plain_folder(tmp_path):
    """A plain image folder and a TSV of captions with paths relative to it: one good row, one
    row whose file is missing, one line without a tab, one line with an empty caption."""
    images = tmp_path / "photos"
    (images / "sub").mkdir(parents=True)
    Image.new("RGB", (32, 24), "green").save(images / "sub" / "a.png")
    Image.new("RGB", (24, 32), "white").save(images / "b.jpg")
    (tmp_path / "captions.tsv").write_text(
        "a dog on a sofa\tsub/a.png\nno tab on this line\na cat\tgone.jpg\n\tb.jpg\na cup on a table\tb.jpg\n")
    return tmp_path


def test_plain_folder_with_local_paths_records_bad_lines_and_missing_files(plain_folder, tmp_path, capsys):
    out = tmp_path / "shards"
    assert main(["shard", "--tsv", str(plain_folder / "captions.tsv"), "--images", str(plain_folder / "photos"),
                 "--out", str(out), "--quiet"]) == 0
    printed = capsys.readouterr().out
    assert "3 rows in 1 shard(s)" in printed and "1 image file not found" in printed and "2 bad line(s)" in printed
    assert [key for key, _ in read_captioned_shard(out / "00000.tar")] == ["000000000", "000000002"]
    bad = [json.loads(line) for line in (out / "bad_rows.jsonl").read_text().splitlines()]
    assert [(row["line"], row["text"]) for row in bad] == [(2, "no tab on this line"), (4, "\tb.jpg")]
    assert json.loads((out / "_SHARDED").read_text())["missing_by_reason"] == {"image file not found": 1}
    assert not list(tmp_path.glob(".*.partial"))


def test_local_paths_default_to_the_tsv_folder(plain_folder):
    rows = list(conceptual_captions(plain_folder / "captions.tsv", {}))
    assert [r.image is not None for r in rows if hasattr(r, "image")] == [False, False, False]
    (plain_folder / "local.tsv").write_text("a dog\tphotos/b.jpg\n")
    (row,) = conceptual_captions(plain_folder / "local.tsv", {})
    assert row.image == plain_folder / "photos" / "b.jpg"


def test_a_source_without_any_image_is_an_error_and_writes_nothing(cc_folder, tmp_path, capsys):
    out = tmp_path / "o"
    assert main(["shard", "--tsv", str(cc_folder / "cc.tsv"), "--out", str(out), "--quiet"]) == 2
    error = capsys.readouterr().err
    assert "3 no local image for this url" in error and "--images" in error and "--url-map" in error
    assert not out.exists() and not list(tmp_path.glob(".*"))


def test_an_interrupted_shard_run_leaves_nothing_and_a_rerun_finishes(plain_folder, tmp_path):
    rows = list(conceptual_captions(plain_folder / "captions.tsv", {}, plain_folder / "photos"))

    def interrupted():
        yield from rows[:3]
        raise KeyboardInterrupt

    out = tmp_path / "shards"
    with pytest.raises(KeyboardInterrupt):
        write_shards(interrupted(), out, shard_size=1, quiet=True)
    assert not out.exists() and not list(tmp_path.glob(".*.partial"))
    summary = write_shards(rows, out, shard_size=1, quiet=True)
    assert (summary.shards, summary.samples, summary.bad_rows) == (3, 3, 2)
    assert sorted(p.name for p in out.glob("*.tar")) == ["00000.tar", "00001.tar", "00002.tar"]


def test_shard_refuses_a_non_empty_out_and_a_folder_for_a_file(plain_folder, tmp_path, capsys):
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("")
    assert main(["shard", "--tsv", str(plain_folder / "captions.tsv"), "--out", str(tmp_path / "full")]) == 2
    assert "--out" in capsys.readouterr().err
    assert main(["shard", "--tsv", str(plain_folder), "--out", str(tmp_path / "new")]) == 2
    assert "--tsv" in capsys.readouterr().err and not (tmp_path / "new").exists()


def test_a_decompression_bomb_is_a_failed_row_not_the_end_of_the_job(plain_folder, png_bomb, tmp_path, capsys):
    (plain_folder / "photos" / "bomb.png").write_bytes(png_bomb)
    (plain_folder / "bomb.tsv").write_text("a dog on a sofa\tsub/a.png\na huge cat\tbomb.png\n")
    out = tmp_path / "shards"
    assert main(["shard", "--tsv", str(plain_folder / "bomb.tsv"), "--images", str(plain_folder / "photos"),
                 "--out", str(out), "--quiet"]) == 0
    assert "1 image too large to decode" in capsys.readouterr().out
    rows = pq.read_table(out / "00000.parquet").to_pylist()
    assert [(row["status"], row["error_message"]) for row in rows] == [
        ("success", None), ("failed_to_download", "image too large to decode")]


def test_images_keep_the_extension_of_their_format(plain_folder, tmp_path):
    rows = list(conceptual_captions(plain_folder / "captions.tsv", {}, plain_folder / "photos"))
    write_shards(rows, tmp_path / "s", shard_size=10, quiet=True)
    assert [sorted(parts) for _, parts in read_captioned_shard(tmp_path / "s" / "00000.tar")] == [
        ["json", "png", "txt"], ["jpg", "json", "txt"]]


def test_tsv_headers_byte_order_marks_foreign_bytes_and_folders(plain_folder):
    (plain_folder / "odd.tsv").write_bytes(
        "\ufeffcaption\timage\na cup on a table\tb.jpg\n".encode() + b"caf\xe9 and a dog\tb.jpg\na folder\tsub\n")
    rows = list(conceptual_captions(plain_folder / "odd.tsv", {}, plain_folder / "photos"))
    assert [type(r).__name__ for r in rows] == ["SourceRow", "BadRow", "SourceRow"]
    assert rows[0].caption == "a cup on a table" and rows[0].image == plain_folder / "photos" / "b.jpg"
    assert rows[1].line == 3 and rows[1].reason.startswith("not UTF-8 (byte 0xe9 at column 4)")
    assert rows[2].image is None and rows[2].error == "image path is a folder"
    (plain_folder / "bom.tsv").write_bytes("\ufeffa dog\tb.jpg\n".encode())
    (row,) = conceptual_captions(plain_folder / "bom.tsv", {}, plain_folder / "photos")
    assert row.caption == "a dog"


def test_a_tsv_without_tabs_names_its_first_bad_line_not_a_file_it_removed(plain_folder, tmp_path, capsys):
    (plain_folder / "spaces.tsv").write_text("a dog    b.jpg\na cat    b.jpg\n")
    assert main(["shard", "--tsv", str(plain_folder / "spaces.tsv"), "--out", str(tmp_path / "o"), "--quiet"]) == 2
    error = capsys.readouterr().err
    assert "2 bad line(s) skipped; line 1: expected 'caption<TAB>image url or path'" in error
    assert "bad_rows.jsonl" not in error
