"""The paper's claims as checks on the demo's numbers (generalized segm AP50, %).

(1) Remark 1: the student beats its teacher on target classes by at least ``TARGET_GAIN`` and
    base classes lose at most ``BASE_LOSS``.
(2) The robust student closes at least ``GAP_CLOSED`` of the teacher-to-oracle target gap.
(3) Noise weighting pays: gt+x+m+alpha beats gt+x+m on target classes (the issue asks for it at
    a high caption noise; the report says at which noise it was measured).
"""

from __future__ import annotations

from dataclasses import dataclass

TARGET_GAIN = 5.0
BASE_LOSS = 2.0
GAP_CLOSED = 0.7


@dataclass(frozen=True)
class Claim:
    name: str
    holds: bool
    evidence: str


def _segm(result: dict, group: str) -> float:
    return float(result["segm"]["generalized"][group])


def check_claims(results: dict[str, dict]) -> list[Claim]:
    """``results`` by row name: ``teacher``, ``student`` and, when trained, ``gt+x+m`` and ``oracle``."""
    teacher, student = results["teacher"], results["student"]
    gain = _segm(student, "target") - _segm(teacher, "target")
    base_change = _segm(student, "base") - _segm(teacher, "base")
    claims = [Claim(
        "(1) student beats teacher on target by >= 5, base loses <= 2",
        gain >= TARGET_GAIN and base_change >= -BASE_LOSS,
        f"target {_segm(teacher, 'target'):.1f} -> {_segm(student, 'target'):.1f} ({gain:+.1f}); "
        f"base {_segm(teacher, 'base'):.1f} -> {_segm(student, 'base'):.1f} ({base_change:+.1f})",
    )]
    if "oracle" in results:
        gap = _segm(results["oracle"], "target") - _segm(teacher, "target")
        closed = gain / gap if gap > 0 else float("nan")
        claims.append(Claim(
            "(2) robust student closes >= 70% of the teacher-to-oracle target gap",
            gap > 0 and closed >= GAP_CLOSED,
            f"oracle target {_segm(results['oracle'], 'target'):.1f}; gap {gap:.1f}; closed {100 * closed:.0f}%",
        ))
    if "gt+x+m" in results:
        margin = _segm(student, "target") - _segm(results["gt+x+m"], "target")
        claims.append(Claim(
            "(3) noise weighting pays: gt+x+m+alpha beats gt+x+m on target",
            margin > 0,
            f"gt+x+m {_segm(results['gt+x+m'], 'target'):.1f} vs gt+x+m+alpha {_segm(student, 'target'):.1f} ({margin:+.1f})",
        ))
    return claims
