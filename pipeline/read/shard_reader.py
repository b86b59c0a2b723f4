"""Samples of one img2dataset / webdataset tar shard, read as a stream, robust to bad files.

Members are grouped by key (the name up to its first dot, webdataset's rule). Nothing is ever
extracted to disk and nothing is unpickled: a member whose extension is a pickle format, or whose
name is absolute or climbs out of its folder, makes its sample a reject.

The tar is parsed here rather than by ``tarfile``, which takes a damaged header for the end of the
archive and so drops every sample after it without a record. Headers are 512-byte aligned and
checksummed: after a bad one the reader skips block by block to the next valid header and goes
on, and the skipped byte range makes a sample a reject. A stream that ends inside a member makes
the sample being read a reject; the samples before it are kept.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import posixpath
import tarfile
from dataclasses import dataclass
from typing import BinaryIO, Iterator

from xpm.io.records import RawSample, Reject

STAGE = "read"
# Extensions webdataset decodes with pickle / torch.load: refused, never opened.
PICKLE_EXTENSIONS = {"pyd", "pickle", "pkl", "pth", "pt", "npy", "npz", "ten", "torch"}
BLOCK = 512
FILE_TYPES = {tarfile.REGTYPE, tarfile.AREGTYPE, tarfile.CONTTYPE}
# Compressed tars, by their leading bytes: the streams ``tarfile``'s "r|*" mode also reads.
COMPRESSIONS = ((b"\x1f\x8b", gzip.GzipFile), (b"BZh", bz2.BZ2File), (b"\xfd7zXZ\x00", lzma.LZMAFile))
STREAM_ERRORS = (OSError, EOFError, lzma.LZMAError)


def _unsafe_name(name: str) -> bool:
    normal = posixpath.normpath(name)
    return name.startswith("/") or normal.startswith("..") or "\\" in name


class _Blocks:
    """A byte stream read in tar blocks, with the offset of what comes next."""

    def __init__(self, stream: BinaryIO):
        self._stream, self.offset = stream, 0

    def read(self, size: int) -> bytes:
        chunks, wanted = [], size
        while wanted:
            chunk = self._stream.read(wanted)
            if not chunk:
                break
            chunks.append(chunk)
            wanted -= len(chunk)
        data = b"".join(chunks)
        self.offset += len(data)
        return data


class _Prefixed:
    """``stream`` with ``head`` (bytes already read from it) put back in front."""

    def __init__(self, head: bytes, stream: BinaryIO):
        self._head, self._stream = head, stream

    def read(self, size: int = -1) -> bytes:
        if not self._head:
            return self._stream.read(size)
        if size < 0:
            data, self._head = self._head + self._stream.read(), b""
            return data
        data, self._head = self._head[:size], self._head[size:]
        return data


def _uncompressed(stream: BinaryIO) -> BinaryIO:
    head = stream.read(8)
    stream = _Prefixed(head, stream)
    for magic, opener in COMPRESSIONS:
        if head.startswith(magic):
            return opener(fileobj=stream, mode="rb")
    return stream


def _header(block: bytes, strict: bool) -> tarfile.TarInfo | None:
    """The member a block describes, or None where it is no valid header. ``strict`` (when looking
    for a header among damaged bytes) also asks for the ustar magic, so that file data whose
    checksum field happens to match is not taken for a header."""
    if strict and block[257:262] != b"ustar":
        return None
    try:
        return tarfile.TarInfo.frombuf(block, "utf-8", "surrogateescape")
    except tarfile.HeaderError:
        return None


@dataclass(frozen=True)
class _Skipped:
    """Bytes that held no valid header, and what the damaged header still names."""

    start: int
    end: int
    claimed_name: str

    def detail(self) -> str:
        claimed = f" (its name field reads {self.claimed_name!r})" if self.claimed_name else ""
        return f"bytes {self.start}-{self.end} skipped: a damaged tar header{claimed}"


@dataclass(frozen=True)
class _Member:
    name: str
    data: bytes


def _pax_records(data: bytes) -> dict[str, str]:
    records, position = {}, 0
    while position < len(data):
        length = int(data[position:].split(b" ", 1)[0])
        key, _, value = data[position:position + length].split(b" ", 1)[1].rstrip(b"\n").partition(b"=")
        records[key.decode("utf-8", "surrogateescape")] = value.decode("utf-8", "surrogateescape")
        position += length
    return records


class _Truncated(Exception):
    def __init__(self, message: str, name: str | None = None):
        super().__init__(message)
        self.name = name  # the member cut short, when its header was read


def _members(blocks: _Blocks) -> Iterator[_Member | _Skipped]:
    """The archive's regular files and the damaged stretches between them, in file order.
    GNU long names and pax ``path`` / ``size`` records apply to the member that follows them."""
    long_name, pax = None, {}
    while True:
        start = blocks.offset
        block = blocks.read(BLOCK)
        if not block:
            return
        if len(block) < BLOCK:
            raise _Truncated(f"the stream ends inside a header at byte {start}")
        if block == bytes(BLOCK):
            return  # end of archive
        info = _header(block, strict=False)
        if info is None:
            claimed = block[:100].split(b"\0", 1)[0].decode("utf-8", "replace")
            while info is None:
                block = blocks.read(BLOCK)
                if len(block) < BLOCK:
                    yield _Skipped(start, blocks.offset, claimed)
                    return
                info = _header(block, strict=True)
            yield _Skipped(start, blocks.offset - BLOCK, claimed)
            long_name, pax = None, {}  # they named the member that was lost
        size = int(pax.get("size", info.size))
        data = blocks.read(size)
        blocks.read(-size % BLOCK)
        if len(data) < size:
            name = long_name or pax.get("path") or info.name
            raise _Truncated(f"member {name!r} ends after {len(data)} of its {size} bytes", name)
        if info.type == tarfile.GNUTYPE_LONGNAME:
            long_name = data.split(b"\0", 1)[0].decode("utf-8", "surrogateescape")
        elif info.type == tarfile.XHDTYPE:
            pax = _pax_records(data)
        elif info.type != tarfile.XGLTYPE:
            if info.type in FILE_TYPES:
                yield _Member(long_name or pax.get("path") or info.name, data)
            long_name, pax = None, {}


def _key_of(name: str) -> str | None:
    """A member's sample key: its name up to the first dot of its base name (None without one)."""
    folder, base = posixpath.split(name)
    return posixpath.join(folder, base.split(".", 1)[0]) if "." in base else None


def read_shard(stream: BinaryIO, input_shard: str) -> Iterator[RawSample | Reject]:
    """Yield each sample of the tar ``stream`` (in file order) or the reject it became."""
    key, parts, problem = None, {}, None
    skipped: _Skipped | None = None

    def finish():
        if key is None:
            return None
        if problem is not None:
            return Reject(key, input_shard, STAGE, problem[0], problem[1])
        return RawSample(key, input_shard, parts)

    try:
        for member in _members(_Blocks(_uncompressed(stream))):
            if isinstance(member, _Skipped):
                skipped = member
                continue
            member_key = _key_of(member.name)
            if member_key is None:
                continue
            if skipped is not None and key is not None and _key_of(skipped.claimed_name) == key:
                problem, skipped = ("corrupt_tar", skipped.detail()), None  # the damaged header names the sample being read
            if member_key != key:
                done = finish()
                if done is not None:
                    yield done
                key, parts, problem = member_key, {}, None
            if skipped is not None:
                # Otherwise the lost member is taken for the first of the sample found after it.
                problem, skipped = ("corrupt_tar", skipped.detail()), None
            extension = posixpath.basename(member.name).split(".", 1)[1]
            if _unsafe_name(member.name):
                problem = ("unsafe_member_name", f"member {member.name!r} is absolute or leaves its folder")
            elif extension.lower() in PICKLE_EXTENSIONS:
                problem = ("pickle_member", f"member {member.name!r} is a pickle format; xpm never unpickles")
            elif extension in parts:
                problem = ("duplicate_member", f"member {member.name!r} appears twice")
            else:
                parts[extension] = member.data
        if skipped is not None:
            if key is None:
                key = f"{input_shard}/<bytes {skipped.start}-{skipped.end}>"
            problem = ("corrupt_tar", skipped.detail())
    except (_Truncated, *STREAM_ERRORS) as error:
        cut = _key_of(error.name) if isinstance(error, _Truncated) and error.name else None
        if cut is not None and cut != key:
            done = finish()
            if done is not None:
                yield done
            key = cut
        if key is None:
            key = f"{input_shard}/<unread>"
        problem = ("truncated_tar", str(error) if isinstance(error, _Truncated) else f"{type(error).__name__}: {error}")
    done = finish()
    if done is not None:
        yield done
