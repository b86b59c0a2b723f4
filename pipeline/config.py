"""The configuration of one ``xpm pseudo-label`` run (saved in the version's manifest)."""

from __future__ import annotations

from dataclasses import dataclass

from xpm.nouns.config import SENSE_RULES, NounConfig

INFERENCE_MODES = ("whole-shard", "run-inference")


def check_name(name: str) -> None:
    from xpm.config import ConfigError

    if not name.replace("-", "").replace("_", "").isalnum():
        raise ConfigError(f"pseudo-label config: name {name!r} (--name): letters, digits, '-' and '_' only.")


@dataclass(frozen=True)
class PseudoLabelConfig:
    # Input shards: a brace pattern ('DIR/{00000..00099}.tar'), a glob, or a comma list.
    input: str = ""
    teacher: str = ""
    output: str = ""
    name: str = ""
    device: str = "auto"
    min_batch_size: int = 1
    max_batch_size: int = 8
    max_pixels: int = 40_000_000
    min_side: int = 16
    # How a caption noun picks the teacher's region: "eq2" (the paper's Eq. 2) or Eq. 2 with
    # parts (xpm/modeling/alignment.py); the default is alignment.DEFAULT_ALIGNMENT's value,
    # written out so that reading this config imports no torch.
    alignment: str = "eq2+objectness+bg-gate+coverage"
    # Input shards per Beam pipeline run (0: all in one). Local runners hold everything before
    # the per-shard grouping in memory, so the local default runs a few shards at a time and
    # memory stays bounded by shard size; distributed runners shuffle to disk and take all.
    shards_per_pipeline: int = 4
    # Images sampled for a +calibrated@P rule's per-word thresholds (pipeline/calibration.py).
    calibration_images: int = 2000
    # How the teacher's batches form. "whole-shard": each input shard in one DoFn call, its
    # images in batches of max_batch_size in shard order, so the bytes written depend on
    # nothing but the inputs, the teacher and these settings (same device and thread count):
    # every runner, worker count and timing gives the same version, and it is the one mode
    # DaskRunner runs (it drops what a DoFn emits from finish_bundle, where RunInference
    # flushes its last batch). "run-inference": Beam's RunInference, batching across shards by
    # timing (BatchElements, min_batch_size..max_batch_size); scores may then differ in the last
    # digit between runs.
    inference: str = "whole-shard"
    # The job's class names: object nouns even where xpm's word lists drop them (a role, group or
    # depiction word such as band, logo, crowd). The rest of xpm/nouns/config.py is code, like the
    # extractor's rules: a class list and the sense rule are what a job chooses.
    classes: tuple[str, ...] = ()
    # How an ambiguous caption noun gets its WordNet sense: "lesk" or "gloss-embedding".
    sense_rule: str = "lesk"

    def __post_init__(self) -> None:
        for field_name in ("input", "teacher", "output", "name"):
            if not getattr(self, field_name):
                raise ValueError(f"pseudo-label config: {field_name} is required (--{field_name}).")
        check_name(self.name)
        from xpm.modeling.alignment import parse_alignment

        try:
            parse_alignment(self.alignment)
        except ValueError as error:
            raise ValueError(f"pseudo-label config: alignment={self.alignment!r} (--alignment): {error}") from None
        if self.inference not in INFERENCE_MODES:
            raise ValueError(f"pseudo-label config: inference={self.inference!r}: one of {', '.join(INFERENCE_MODES)}.")
        if self.calibration_images < 1:
            raise ValueError(f"pseudo-label config: calibration_images={self.calibration_images}: at least 1.")
        if self.shards_per_pipeline < 0:
            raise ValueError(f"pseudo-label config: shards_per_pipeline={self.shards_per_pipeline}: 0 (all) or more.")
        if self.sense_rule not in SENSE_RULES:
            raise ValueError(f"pseudo-label config: sense_rule={self.sense_rule!r} (--sense-rule): one of {', '.join(SENSE_RULES)}.")
        if not all(name.strip() for name in self.classes):
            raise ValueError(f"pseudo-label config: classes={list(self.classes)!r} (--classes): an empty class name.")
        # Captions are read in lower case; one spelling per class list, so that "Band, logo" and
        # "logo,band" are the same run.
        object.__setattr__(self, "classes", tuple(sorted({" ".join(name.lower().split()) for name in self.classes})))
        if not 1 <= self.min_batch_size <= self.max_batch_size:
            raise ValueError(f"pseudo-label config: batch sizes {self.min_batch_size}..{self.max_batch_size}: need 1 <= min <= max.")

    def nouns(self) -> NounConfig:
        """How this job finds caption nouns."""
        return NounConfig(classes=self.classes, sense_rule=self.sense_rule)
