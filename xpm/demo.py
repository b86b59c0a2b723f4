"""``xpm demo``: the main job on the embedded default, the synthetic world.

Today it runs the foundation stages: synthesize the world, find the object nouns of every
caption, and embed the caption vocabulary; it writes ``OUT/report.md``. The teacher,
pseudo-labeling, student and evaluation stages join it as they land. Every stage's output is
reused when it is already there with the same config, so an interrupted demo resumes.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

HELP = "run the whole product on the synthetic world and write OUT/report.md"

QUICK_SIZES = {"train_images": 60, "caption_images": 120, "val_images": 30, "shard_size": 50}


@dataclass(frozen=True)
class DemoConfig:
    out: str = "runs/demo"
    quick: bool = False
    seed: int = 0
    split: str | None = None


def add_arguments(parser) -> None:
    parser.add_argument("--out", default="runs/demo", help="run directory (default runs/demo)")
    parser.add_argument("--quick", action="store_true", help="the same stages at toy size (seconds)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--split", help="split JSON over the catalog (default: the packaged split)")


def _caption_nouns(world: Path):
    from pipeline.nouns import NounExtractor
    from xpm.io.captioned_shards import read_captioned_shard

    extract = NounExtractor.from_config()
    rows = []
    for shard in sorted((world / "captioned").glob("*.tar")):
        for key, parts in read_captioned_shard(shard):
            result = extract(parts.get("txt", b""))
            truth = json.loads(parts["json"])["xpm_synth"]
            rows.append({"key": key, "nouns": [n.lemma for n in result.nouns], "reason": result.reason, "objects": truth["objects"]})
    return rows


def run(args) -> int:
    from xpm.config import save_config
    from xpm.synth.config import SynthConfig
    from xpm.synth.world import synthesize
    from xpm.text import TextEmbedder

    config = DemoConfig(out=args.out, quick=args.quick, seed=args.seed, split=args.split)
    out = Path(config.out)
    out.mkdir(parents=True, exist_ok=True)
    save_config(config, out / "demo_config.yaml")
    timings = {}

    started = time.perf_counter()
    sizes = QUICK_SIZES if config.quick else {}
    world = synthesize(SynthConfig(seed=config.seed, split=config.split, **sizes), out / "world")
    timings["synth"] = time.perf_counter() - started
    print(f"[1/3] world: {world.out_dir} ({'reused' if world.reused else 'written'})")

    started = time.perf_counter()
    rows = _caption_nouns(world.out_dir)
    timings["nouns"] = time.perf_counter() - started
    counts = Counter(noun for row in rows for noun in row["nouns"])
    named = sum(len(row["nouns"]) for row in rows)
    present = sum(len(set(row["nouns"]) & set(row["objects"])) for row in rows)
    rejected = Counter(row["reason"] for row in rows if not row["nouns"])
    print(f"[2/3] nouns: {len(rows)} captions, {len(counts)} distinct nouns, {named} mentions")

    started = time.perf_counter()
    vocabulary = sorted(counts)
    embedder = TextEmbedder()
    vectors = embedder.embed(vocabulary)
    timings["embed"] = time.perf_counter() - started
    print(f"[3/3] embeddings: {vectors.shape[0]} x {vectors.shape[1]} ({embedder.model_id}, {embedder.mode})")

    lines = [
        "# xpm demo report",
        "",
        f"World: `{world.out_dir}`; seed {config.seed}; {'quick' if config.quick else 'full'} size.",
        "",
        "## Caption nouns",
        f"- captions: {len(rows)}; with at least one object noun: {sum(1 for r in rows if r['nouns'])}",
        f"- noun mentions: {named}; of these naming an object that is in the image: "
        f"{present} ({100 * present / max(named, 1):.1f}%; the rest is caption noise or synonyms)",
        f"- captions without nouns, by reason: {dict(rejected) or 'none'}",
        f"- caption vocabulary V_C: {len(vocabulary)} nouns; most frequent: "
        + ", ".join(f"{n} ({c})" for n, c in counts.most_common(12)),
        "",
        "## Text embeddings",
        f"- model `{embedder.model_id}` (sha256 {embedder.model_hash[:12]}), mode `{embedder.mode}`, dim {vectors.shape[1]}",
        "",
        "## Stage times (s)",
        *[f"- {stage}: {seconds:.1f}" for stage, seconds in timings.items()],
        "",
        "Teacher, pseudo-labeling, student and evaluation stages are not built yet.",
    ]
    (out / "report.md").write_text("\n".join(lines) + "\n")
    print(f"report: {out / 'report.md'}")
    return 0
