import json

import numpy as np
import pyarrow.parquet as pq

from pipeline.finalize import finalize_version, part_path
from schemas.dataset_version import VOCAB_FILE


def _row(key, nouns, synsets):
    return {"key": key, "shard": "00000.tar", "input_shard": "00000", "width": 8, "height": 8, "caption": "c",
            "nouns": nouns, "synsets": synsets, "unlabeled_nouns": [], "unlabeled_reasons": [], "image_sha256": "0" * 64}


def test_a_word_in_two_senses_is_one_row_of_the_vocabulary(tmp_path):
    """V_C is what the student's softmax runs over: two rows of one word would split its labels."""
    staging = str(tmp_path)
    index = [_row("a", ["plate", "dog"], ["plate.n.04", "dog.n.01"]), _row("b", ["plate"], ["plate.n.04"]),
             _row("c", ["plate"], ["home_plate.n.01"])]
    record = {"entry": {"name": "00000.tar", "samples": 3}, "input": {"samples_read": 3}, "rejects": [], "index": index}
    (tmp_path / "parts").mkdir(exist_ok=True)
    with open(part_path(staging, "00000"), "w") as stream:
        json.dump(record, stream)
    embedded = []
    finalize_version(staging, ["00000"], {}, lambda words: embedded.extend(words) or np.ones((len(words), 4)),
                     {"dog": 1, "plate": 2})
    rows = pq.read_table(tmp_path / VOCAB_FILE).to_pylist()
    assert [(r["vocab_id"], r["word"], r["synset"], r["count"]) for r in rows] == [(1, "dog", "dog.n.01", 1),
                                                                                 (2, "plate", "plate.n.04", 3)]
    assert embedded == ["dog", "plate"]
