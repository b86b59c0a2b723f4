"""An experiment's figures from its runs: per configuration the mean and 95% interval of
generalized segm AP50 (base and target), differences paired by seed, and the paper's claims
decided on their intervals' bounds (``trainers.evaluation.intervals`` says how)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from schemas.split import read_split
from trainers.data.coco_instances import category_ids_by_name, load_coco
from trainers.evaluation.coco_ap import ImageMatches
from trainers.evaluation.intervals import METHOD, group_ap50, image_resamples, interval
from commands.experiment.config import TEACHER

IOU_TYPE = "segm"
GROUPS = ("base", "target")
# Claim 1 (Remark 1): student - teacher on target at least this, base no worse than -BASE_LOSS.
TARGET_GAIN = 5.0
BASE_LOSS = 2.0
# Claim 2: share of the teacher-to-bound target gap the robust student closes.
GAP_CLOSED = 0.7
ROBUST, UNWEIGHTED = "gt+x+m+alpha", "gt+x+m"
BOUNDS = ("truth-labels", "oracle")
BOOTSTRAP_SEED = 0


def _values(runs: list[dict], matches: list[ImageMatches], ids: dict[str, list[int]], weights: np.ndarray) -> dict:
    """Per group: each run's AP50 on the whole part and on every resample ``[runs, draws]``."""
    return {group: (np.array([run[IOU_TYPE]["generalized"][group] for run in runs], dtype=np.float64),
                    np.stack([group_ap50(m, ids[group], weights) for m in matches]))
            for group in GROUPS}


def summarize(rows: dict[str, dict[int, tuple[dict, ImageMatches]]], *, world: Path, part: str, draws: int,
              differences: list[tuple[str, str]], gaps: list[tuple[str, str]] = ()) -> dict:
    """``rows``: configuration -> seed -> (eval.json, matches); the teacher under ``TEACHER`` with
    one entry, paired with every seed. The experiment's JSON contract, less its config; with
    ``gaps``, (student, bound) pairs, also the share of the teacher-to-bound gap each student closes."""
    gt = load_coco(world / part / "instances.json")
    split = read_split(world / "split.json")
    names = category_ids_by_name(gt, split.base + split.target, str(world / part / "instances.json"))
    ids = {"base": [names[n] for n in split.base], "target": [names[n] for n in split.target]}
    image_count = {len(m.image_ids) for seeds in rows.values() for _, m in seeds.values()}
    if len(image_count) != 1:
        raise ValueError(f"runs were evaluated on different images ({sorted(image_count)}); evaluate them on one part.")
    weights = image_resamples(image_count.pop(), draws, BOOTSTRAP_SEED)
    per_config = {}
    for name, seeds in rows.items():
        order = sorted(seeds)
        values = _values([seeds[s][0] for s in order], [seeds[s][1] for s in order], ids, weights)
        per_config[name] = {"seeds": order, "values": values}

    configs = {}
    for name, entry in per_config.items():
        configs[name] = {
            "seeds": entry["seeds"],
            "runs": [{"seed": seed, **{group: float(entry["values"][group][0][k]) for group in GROUPS}}
                     for k, seed in enumerate(entry["seeds"])],
            **{group: interval(*entry["values"][group]).as_dict() for group in GROUPS},
        }

    def on_seeds(name: str, group: str, seeds: list[int]) -> tuple[np.ndarray, np.ndarray]:
        entry = per_config[name]
        # The teacher, trained once, stands beside every seed.
        rows = [0] * len(seeds) if name == TEACHER else [entry["seeds"].index(s) for s in seeds]
        values, draws = entry["values"][group]
        return values[rows], draws[rows]

    def paired(a: str, b: str) -> dict | None:
        """a - b per common seed and per resample."""
        seeds = [s for s in per_config[a]["seeds"] if b == TEACHER or s in per_config[b]["seeds"]]
        if not seeds:
            return None
        result = {"seeds": seeds}
        for group in GROUPS:
            (a_values, a_draws), (b_values, b_draws) = on_seeds(a, group, seeds), on_seeds(b, group, seeds)
            result[group] = interval(a_values - b_values, a_draws - b_draws).as_dict()
        return result

    pairs = {f"{a}-{b}": p for a, b in differences if a in per_config and b in per_config and (p := paired(a, b))}
    shares = {f"{student}/{bound}": gap_claim(per_config, bound, student)
              for student, bound in gaps if student in per_config and bound in per_config}
    return {"configs": configs, "paired": pairs, "claims": claims(per_config, pairs), **({"gaps": shares} if shares else {}),
            "interval_method": METHOD.format(draws=draws), "iou_type": IOU_TYPE, "setting": "generalized",
            "part": part, "images": int(weights.shape[1])}


def default_differences(names: list[str]) -> list[tuple[str, str]]:
    """Every configuration against the teacher, and the robust student against every other."""
    pairs = [(name, TEACHER) for name in names if name != TEACHER]
    if ROBUST in names:
        pairs += [(ROBUST, name) for name in names if name not in (ROBUST, TEACHER)]
    return pairs


def _bound(interval_dict: dict, side: int) -> float:
    return interval_dict["ci95"][side]


def claims(per_config: dict, pairs: dict) -> dict:
    """Each of the paper's claims that the experiment's configurations can decide, with its
    verdict from the interval's bound and the evidence."""
    result = {}
    if f"{ROBUST}-{TEACHER}" in pairs:
        gain = pairs[f"{ROBUST}-{TEACHER}"]
        low_target, low_base = _bound(gain["target"], 0), _bound(gain["base"], 0)
        result["1"] = {
            "claim": f"the robust student beats its teacher on target by >= {TARGET_GAIN:g} AP50, base loses <= {BASE_LOSS:g}",
            "holds": bool(low_target >= TARGET_GAIN and low_base >= -BASE_LOSS),
            "decided_on": "lower bounds of the paired intervals (student - teacher)",
            "target": gain["target"], "base": gain["base"],
        }
    for bound in BOUNDS:
        if ROBUST in per_config and bound in per_config and f"{ROBUST}-{TEACHER}" in pairs and f"{bound}-{TEACHER}" in pairs:
            result[f"2 ({bound})"] = gap_claim(per_config, bound)
    if f"{ROBUST}-{UNWEIGHTED}" in pairs:
        margin = pairs[f"{ROBUST}-{UNWEIGHTED}"]["target"]
        result["3"] = {
            "claim": "noise weighting pays: gt+x+m+alpha beats gt+x+m on target",
            "holds": bool(_bound(margin, 0) > 0),
            "decided_on": "lower bound of the paired interval (gt+x+m+alpha - gt+x+m) above 0",
            "target": margin,
        }
    return result


def gap_claim(per_config: dict, bound: str, student: str = ROBUST) -> dict:
    """Share of the teacher-to-``bound`` target gap ``student`` closes: ratio of the seed
    means on the whole part, with a percentile interval over image resamples and seeds drawn with
    replacement together (a ratio has no t interval)."""
    teacher_all, teacher_draws = per_config[TEACHER]["values"]["target"]
    student_all, student_draws = per_config[student]["values"]["target"]
    bound_all, bound_draws = per_config[bound]["values"]["target"]
    claim = {
        "claim": f"{'the robust student' if student == ROBUST else student} closes >= {100 * GAP_CLOSED:.0f}% of the "
                 f"teacher-to-{bound} target gap",
        "decided_on": "lower bound of the share's interval (bootstrap over images and seeds)",
        "bound_target": float(bound_all.mean()),
    }
    gap = bound_all.mean() - teacher_all[0]
    if gap <= 0:
        return {**claim, "holds": False, "share": None, "why": f"{bound} is not above the teacher on target ({gap:+.1f})"}
    share = (student_all.mean() - teacher_all[0]) / gap
    rng = np.random.default_rng(BOOTSTRAP_SEED)
    draws = student_draws.shape[1]
    pick_student = rng.integers(0, len(student_all), (draws, len(student_all)))
    pick_bound = rng.integers(0, len(bound_all), (draws, len(bound_all)))
    columns = np.arange(draws)[:, None]
    student_mean = student_draws.T[columns, pick_student].mean(axis=1)
    bound_mean = bound_draws.T[columns, pick_bound].mean(axis=1)
    with np.errstate(all="ignore"):
        shares = (student_mean - teacher_draws[0]) / (bound_mean - teacher_draws[0])
    # a resample whose bound falls to the teacher's level has no share to speak of
    shares = shares[np.isfinite(shares) & (bound_mean - teacher_draws[0] > 0)]
    if not len(shares):
        return {**claim, "holds": False, "share": None, "why": f"no resample keeps {bound} above the teacher on target"}
    low, high = np.percentile(shares, [2.5, 97.5])
    return {**claim, "holds": bool(low >= GAP_CLOSED), "share": {"mean": float(share), "ci95": [float(low), float(high)]}}
