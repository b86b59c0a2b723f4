"""``xpm demo``: the main job on the embedded default, the synthetic world.

Today it runs: synthesize the world, find the object nouns of every caption, embed the caption
vocabulary, train the teacher on the base classes and evaluate it (Table 2 layout); it writes
``OUT/report.md``. The pseudo-labeling and student stages join it as they land. Every stage's
output is reused when it is already there with the same config, and the teacher resumes from
its last checkpoint, so an interrupted demo resumes.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

HELP = "run the whole product on the synthetic world and write OUT/report.md"

QUICK_SIZES = {"train_images": 60, "caption_images": 120, "val_images": 30, "shard_size": 50}
QUICK_TEACHER_STEPS = 30
TEACHER_CONFIG = "teacher_cpu.yaml"


@dataclass(frozen=True)
class DemoConfig:
    out: str = "runs/demo"
    quick: bool = False
    seed: int = 0
    split: str | None = None
    device: str = "auto"


def add_arguments(parser) -> None:
    parser.add_argument("--out", default="runs/demo", help="run directory (default runs/demo)")
    parser.add_argument("--quick", action="store_true", help="the same stages at toy size (seconds)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--split", help="split JSON over the catalog (default: the packaged split)")
    parser.add_argument("--device", default="auto", help="auto (default: CUDA when present), cpu or cuda")


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


def _train_teacher(config: DemoConfig, world: Path, out: Path):
    from importlib import resources

    from trainers.teacher.config import TeacherConfig
    from trainers.teacher.train import train_teacher
    from xpm.config import load_config

    overrides = {
        "train_gt": str(world / "train" / "instances_base.json"),
        "train_images": str(world / "train" / "images"),
        "split": str(world / "split.json"),
        "engine": {"device": config.device, "seed": config.seed},
        "optim": {"max_steps": QUICK_TEACHER_STEPS} if config.quick else {},
    }
    with resources.as_file(resources.files("xpm") / "configs" / TEACHER_CONFIG) as path:
        teacher_config = load_config(TeacherConfig, path, overrides)
    return train_teacher(teacher_config, out)


def _evaluate(config: DemoConfig, world: Path, model_path: Path, json_path: Path) -> dict:
    from trainers.evaluation.evaluate import evaluate_checkpoint
    from xpm.io.atomic import write_text_atomically

    result = evaluate_checkpoint(
        model_path, world / "val" / "instances.json", world / "val" / "images", world / "split.json", device=config.device
    )
    write_text_atomically(json_path, json.dumps(result, indent=2) + "\n")
    return result


def run(args) -> int:
    from trainers.evaluation.table2 import format_table2
    from xpm.config import save_config
    from xpm.synth.config import SynthConfig
    from xpm.synth.world import synthesize
    from xpm.text import TextEmbedder

    config = DemoConfig(out=args.out, quick=args.quick, seed=args.seed, split=args.split, device=args.device)
    out = Path(config.out)
    out.mkdir(parents=True, exist_ok=True)
    save_config(config, out / "demo_config.yaml")
    timings = {}

    started = time.perf_counter()
    sizes = QUICK_SIZES if config.quick else {}
    world = synthesize(SynthConfig(seed=config.seed, split=config.split, **sizes), out / "world")
    timings["synth"] = time.perf_counter() - started
    print(f"[1/5] world: {world.out_dir} ({'reused' if world.reused else 'written'})")

    started = time.perf_counter()
    rows = _caption_nouns(world.out_dir)
    timings["nouns"] = time.perf_counter() - started
    counts = Counter(noun for row in rows for noun in row["nouns"])
    named = sum(len(row["nouns"]) for row in rows)
    present = sum(len(set(row["nouns"]) & set(row["objects"])) for row in rows)
    rejected = Counter(row["reason"] for row in rows if not row["nouns"])
    print(f"[2/5] nouns: {len(rows)} captions, {len(counts)} distinct nouns, {named} mentions")

    started = time.perf_counter()
    vocabulary = sorted(counts)
    embedder = TextEmbedder()
    vectors = embedder.embed(vocabulary)
    timings["embed"] = time.perf_counter() - started
    print(f"[3/5] embeddings: {vectors.shape[0]} x {vectors.shape[1]} ({embedder.model_id}, {embedder.mode})")

    started = time.perf_counter()
    teacher = _train_teacher(config, world.out_dir, out / "teacher")
    timings["teacher"] = time.perf_counter() - started
    print(f"[4/5] teacher: {teacher.model_path} ({'reused' if teacher.reused else f'{teacher.steps} steps'})")

    started = time.perf_counter()
    evaluation = _evaluate(config, world.out_dir, teacher.model_path, out / "teacher" / "eval.json")
    timings["eval"] = time.perf_counter() - started
    table = format_table2({"teacher": evaluation})
    print(f"[5/5] evaluation (AP50, %):\n{table}")

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
        "## Evaluation (AP50 %, the layout of the paper's Table 2)",
        "",
        "```",
        table,
        "```",
        "",
        f"Teacher: `{teacher.model_path}`; {config.device} device; losses per step in "
        f"`{teacher.model_path.parent / 'losses.csv'}`.",
        "",
        "## Stage times (s)",
        *[f"- {stage}: {seconds:.1f}" for stage, seconds in timings.items()],
        "",
        "Pseudo-labeling and student stages are not built yet.",
    ]
    (out / "report.md").write_text("\n".join(lines) + "\n")
    print(f"report: {out / 'report.md'}")
    return 0
