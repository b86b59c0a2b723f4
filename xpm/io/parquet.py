"""Reading xpm's small parquet tables (a version's index, vocabulary and rejects; a source
shard's status rows) from Arrow-native buffers only.

Arrow's parquet reader finishes reading on its own thread pool, even with ``use_threads=False``,
and the last reference to the reader can be dropped there. Were the source a Python file object
(``io.BytesIO``, an open file), dropping it takes the GIL; if the interpreter is already
exiting, Python ends that thread inside a C++ destructor and the process aborts with "terminate
called without an active exception" (core dump: ``arrow::py::PyReadableFile::~PyReadableFile``
-> ``PyGILState_Ensure`` -> ``pthread_exit`` on an Arrow ThreadPool worker; apache/arrow#34314).
Two things keep that from happening here: the table is read with ``ParquetFile.read``, the
reader's synchronous path (``pq.read_table`` goes through the dataset scanner, whose
continuations run on that pool), from a copy of the bytes in Arrow-owned memory (a buffer over
a Python ``bytes`` object needs the GIL to be released too)."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq


def read_parquet_rows(source: bytes | str | Path, columns: list[str] | None = None) -> list[dict]:
    """``source`` (the file's bytes, or a local path) as one dict per row."""
    data = source if isinstance(source, bytes) else Path(source).read_bytes()
    owned = pa.BufferOutputStream()
    owned.write(data)
    return pq.ParquetFile(pa.BufferReader(owned.getvalue())).read(columns=columns, use_threads=False).to_pylist()
