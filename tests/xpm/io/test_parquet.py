import io

import pyarrow as pa
import pyarrow.parquet as pq

from xpm.io.parquet import read_parquet_rows


def test_rows_come_back_as_written_from_a_path_or_a_stream(tmp_path):
    rows = [{"key": "a", "nouns": ["dog"]}, {"key": "b", "nouns": []}]
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "t.parquet")
    assert read_parquet_rows(tmp_path / "t.parquet") == rows
    stream = io.BytesIO((tmp_path / "t.parquet").read_bytes())
    assert read_parquet_rows(stream, columns=["key"]) == [{"key": "a"}, {"key": "b"}]
