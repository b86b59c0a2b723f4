"""Samples of one img2dataset / webdataset tar shard, read as a stream, robust to bad files.

Members are grouped by key (the name up to its first dot, webdataset's rule). Nothing is ever
extracted to disk and nothing is unpickled: a member whose extension is a pickle format, or whose
name is absolute or climbs out of its folder, makes its sample a reject. A truncated or corrupt
tar ends the shard: the sample being read becomes a reject, and the samples before it are kept.
"""

from __future__ import annotations

import posixpath
import tarfile
from typing import BinaryIO, Iterator

from xpm.io.records import RawSample, Reject

STAGE = "read"
# Extensions webdataset decodes with pickle / torch.load: refused, never opened.
PICKLE_EXTENSIONS = {"pyd", "pickle", "pkl", "pth", "pt", "npy", "npz", "ten", "torch"}


def _unsafe_name(name: str) -> bool:
    normal = posixpath.normpath(name)
    return name.startswith("/") or normal.startswith("..") or "\\" in name


def read_shard(stream: BinaryIO, input_shard: str) -> Iterator[RawSample | Reject]:
    """Yield each sample of the tar ``stream`` (in file order) or the reject it became."""
    key, parts, problem = None, {}, None

    def finish():
        if key is None:
            return None
        if problem is not None:
            return Reject(key, input_shard, STAGE, problem[0], problem[1])
        return RawSample(key, input_shard, parts)

    try:
        with tarfile.open(fileobj=stream, mode="r|*") as tar:
            for member in tar:
                if not member.isfile():
                    continue
                folder, base = posixpath.split(member.name)
                if "." not in base:
                    continue
                stem, extension = base.split(".", 1)
                member_key = posixpath.join(folder, stem)
                if member_key != key:
                    done = finish()
                    if done is not None:
                        yield done
                    key, parts, problem = member_key, {}, None
                if _unsafe_name(member.name):
                    problem = ("unsafe_member_name", f"member {member.name!r} is absolute or leaves its folder")
                elif extension.lower() in PICKLE_EXTENSIONS:
                    problem = ("pickle_member", f"member {member.name!r} is a pickle format; xpm never unpickles")
                elif extension in parts:
                    problem = ("duplicate_member", f"member {member.name!r} appears twice")
                else:
                    parts[extension] = tar.extractfile(member).read()
    except (tarfile.TarError, EOFError, OSError) as error:
        if key is None:
            key = f"{input_shard}/<unread>"
        problem = ("truncated_tar", f"{type(error).__name__}: {error}")
    done = finish()
    if done is not None:
        yield done
