"""One shard's job in one call: a sample the teacher cannot take is a reject, not the end of the run."""

import io
import tarfile
from types import SimpleNamespace

from PIL import Image

from pipeline.stages import Decode, ReadShard
from pipeline.whole_shard import LabelShard
from xpm.io.captioned_shards import add_tar_member
from xpm.io.decode import DecodeLimits


class Nouns:
    def setup(self):
        pass

    def process(self, sample):
        yield SimpleNamespace(key=sample.key, input_shard=sample.input_shard), SimpleNamespace(key=sample.key)


class Teacher:
    """Fails any batch holding sample 0004, as a model does on an image it has no proposal for."""

    def __init__(self):
        self.batches = []

    def run_inference(self, requests, model):
        self.batches.append([r.key for r in requests])
        if any(r.key == "0004" for r in requests):
            raise ValueError("no proposals")
        return [f"aligned {r.key}" for r in requests]


class Label:
    def process(self, element):
        info, aligned = element
        yield info.input_shard, (info.key, aligned)


class Write:
    def process(self, element):
        yield element


def test_a_sample_that_fails_inside_its_batch_is_a_reject_and_the_rest_are_labelled(tmp_path):
    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), "red").save(buffer, format="JPEG")
    with tarfile.open(tmp_path / "00003.tar", "w") as tar:
        for index in range(6):
            add_tar_member(tar, f"{index:04d}.jpg", buffer.getvalue())
            add_tar_member(tar, f"{index:04d}.txt", b"a dog")
    teacher = Teacher()
    job = LabelShard(ReadShard(), Decode(DecodeLimits()), Nouns(), teacher, Label(), Write(), batch_size=4)
    job._model = None
    ((shard, grouped),) = job.process(str(tmp_path / "00003.tar"))
    assert shard == "00003"
    assert grouped["samples"] == [(f"{i:04d}", f"aligned {i:04d}") for i in (0, 1, 2, 3, 5)]
    (reject,) = grouped["rejects"]
    assert (reject.key, reject.stage, reject.reason, reject.detail) == ("0004", "inference", "teacher_failed",
                                                                       "ValueError: no proposals")
    assert teacher.batches == [["0000", "0001", "0002", "0003"], ["0004", "0005"], ["0004"], ["0005"]]
