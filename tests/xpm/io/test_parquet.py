import pyarrow as pa
import pyarrow.parquet as pq

import xpm.io.parquet
from xpm.io.parquet import read_parquet_rows


def test_rows_come_back_as_written_from_a_path_or_bytes(tmp_path):
    rows = [{"key": "a", "nouns": ["dog"]}, {"key": "b", "nouns": []}]
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "t.parquet")
    assert read_parquet_rows(tmp_path / "t.parquet") == rows
    assert read_parquet_rows((tmp_path / "t.parquet").read_bytes(), columns=["key"]) == [{"key": "a"}, {"key": "b"}]


def test_arrow_reads_synchronously_from_memory_it_owns(tmp_path, monkeypatch):
    # A Python object dropped on an Arrow thread while the interpreter exits aborts it
    # ("terminate called without an active exception"); see xpm/io/parquet.py.
    pq.write_table(pa.Table.from_pylist([{"key": "a"}]), tmp_path / "t.parquet")
    sources = []
    real = pq.ParquetFile
    monkeypatch.setattr(xpm.io.parquet.pq, "ParquetFile", lambda source, **kw: sources.append(source) or real(source, **kw))
    monkeypatch.setattr(xpm.io.parquet.pq, "read_table", None)  # the scanner path is not taken
    read_parquet_rows(tmp_path / "t.parquet")
    read_parquet_rows((tmp_path / "t.parquet").read_bytes())
    assert len(sources) == 2 and all(isinstance(source, pa.BufferReader) for source in sources)
