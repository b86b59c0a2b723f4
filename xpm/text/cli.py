"""``xpm embed``: embed class names and show how near they are to each other."""

from __future__ import annotations

HELP = "embed class names with the text model and print their cosine similarities"


def add_arguments(parser) -> None:
    parser.add_argument("names", nargs="+", metavar="NAME")
    parser.add_argument("--model", default=None, help="Hugging Face model directory or name (default: packaged all-MiniLM-L6-v2)")
    parser.add_argument("--mode", default="bert-input", choices=("bert-input", "contextual"))
    parser.add_argument("--allow-download", action="store_true", help="let transformers fetch a model that is not on disk")


def run(args) -> int:
    from xpm.text.embedder import TextEmbedder
    from xpm.text.model_files import DEFAULT_TEXT_MODEL

    from xpm.config import ConfigError

    empty = [index for index, name in enumerate(args.names, start=1) if not name.strip()]
    if empty:
        raise ConfigError(f"NAME {empty[0]} is empty; give class names as non-empty words, e.g. xpm embed dog 'fire truck'.")
    embedder = TextEmbedder(args.model or DEFAULT_TEXT_MODEL, mode=args.mode, allow_download=args.allow_download)
    vectors = embedder.embed(args.names)
    similarity = vectors @ vectors.T
    width = max(len(n) for n in args.names)
    print(f"{embedder.model_id} ({args.mode}, dim {vectors.shape[1]}, sha256 {embedder.model_hash[:12]})")
    print(" " * width + "  " + "  ".join(f"{n[:6]:>6}" for n in args.names))
    for name, row in zip(args.names, similarity):
        print(f"{name:>{width}}  " + "  ".join(f"{v:6.3f}" for v in row))
    return 0
