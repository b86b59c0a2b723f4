"""Reading xpm's small parquet tables (a version's index, vocabulary and rejects; a source
shard's status rows) without Arrow's thread pools: a pool whose workers are still alive when
the interpreter exits can abort it there with "terminate called without an active exception"
(reported for parquet reads in apache/arrow#34314), and these tables gain nothing from threads."""

from __future__ import annotations

import pyarrow.parquet as pq


def read_parquet_rows(source, columns: list[str] | None = None) -> list[dict]:
    """``source`` (a path or a binary file object) as one dict per row."""
    return pq.read_table(source, columns=columns, use_threads=False, pre_buffer=False).to_pylist()
