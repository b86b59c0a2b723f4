import json

import pyarrow.parquet as pq
import pytest
from PIL import Image

from pipeline.read.captioned_sources import coco_captions, conceptual_captions, images_by_url, read_url_map
from pipeline.shard import write_shards
from xpm.cli import main
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
    rows = list(coco_captions(tmp_path / "captions.json", tmp_path))
    assert rows[0].caption == "A dog. a brown dog." and rows[0].image is not None
    assert rows[1].image is None


def test_shard_command_refuses_an_ambiguous_source(cc_folder, tmp_path, capsys):
    assert main(["shard", "--tsv", str(cc_folder / "cc.tsv"), "--out", str(tmp_path / "o")]) == 2
    assert "--images" in capsys.readouterr().err
    assert main(["shard", "--tsv", str(cc_folder / "cc.tsv"), "--images", str(cc_folder / "files"), "--out", str(tmp_path / "o")]) == 0
