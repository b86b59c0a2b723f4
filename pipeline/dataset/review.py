"""``xpm dataset review``: a stratified random sample of a version's labels as a static page on
which a person marks each label right, wrong or unsure (the file format: ``schemas/review.py``).

Per noun, up to ``per_noun`` of its labels are drawn without replacement by a generator seeded
with the seed and the noun, so a noun's sample does not depend on which other nouns are
reviewed. The page shows one label at a time (its own picture: the image with only that label's
box and mask), so several hundred labels cost one image load each and no layout of hundreds of
pictures; verdicts live in the page's localStorage and leave it as a JSON download.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import defaultdict
from dataclasses import dataclass
from html import escape
from pathlib import Path

import numpy as np

from pipeline.dataset.render import DISPLAY_SIZE, read_samples
from schemas.review import REVIEW_FORMAT, REVIEW_VERSION, label_id
from xpm.config import ConfigError
from xpm.io.atomic import atomic_output, write_text_atomically
from xpm.io.dataset_version import DatasetVersion
from xpm.visualize import draw_instances

PAGE = "index.html"
LABELS_DIR = "labels"
# One colour for every label under review, so the page (and a test's screenshot) can tell the
# drawn overlay from the picture.
REVIEW_COLOR = (255, 0, 200)
# Pictures are JPEGs no larger than this: a PNG of an enlarged or a full-size photo is several
# times the bytes, and a review holds hundreds of them.
PICTURE_MAX_SIDE = 800
PICTURE_QUALITY = 90


def version_name(version: DatasetVersion) -> str:
    return "/".join(version.path.rstrip("/").split("/")[-2:])


@dataclass(frozen=True)
class LabelRef:
    key: str
    index: int
    word: str
    caption: str

    @property
    def id(self) -> str:
        return label_id(self.key, self.index)


def labels_by_noun(version: DatasetVersion) -> dict[str, list[LabelRef]]:
    """Every label of the version by noun, in key order (the index lists a sample's labels in the
    order of its pseudo-label record)."""
    found = defaultdict(list)
    for row in sorted(version.index, key=lambda row: row["key"]):
        for position, word in enumerate(row["nouns"]):
            found[word].append(LabelRef(row["key"], position, word, row["caption"]))
    return dict(found)


def check_nouns(nouns, known, option: str) -> None:
    for noun in nouns:
        if noun not in known:
            close = sorted(word for word in known if word[:3] == noun[:3])[:5]
            hint = f" (close: {', '.join(close)})" if close else ""
            raise ConfigError(f"{option}: {noun!r} labels nothing in this version{hint}; `xpm dataset show` lists its nouns.")


def parse_nouns(value: str | None, option: str) -> list[str] | None:
    """A comma list of nouns."""
    if value is None:
        return None
    nouns = [noun.strip() for noun in value.split(",") if noun.strip()]
    if not nouns:
        raise ConfigError(f"{option} {value!r} names no noun; give a comma list such as 'dog,guitar'.")
    return nouns


def _noun_rng(seed: int, word: str) -> np.random.Generator:
    return np.random.default_rng([seed, int.from_bytes(hashlib.sha256(word.encode()).digest()[:8], "little")])


def sample_labels(by_noun: dict[str, list[LabelRef]], *, per_noun: int, nouns: list[str] | None = None,
                  seed: int = 0) -> list[LabelRef]:
    """Up to ``per_noun`` labels of each noun (all of them where it has fewer), by noun then key."""
    if per_noun < 1:
        raise ConfigError(f"--per-noun {per_noun}: review at least 1 label per noun.")
    chosen = []
    for word in sorted(nouns if nouns is not None else by_noun):
        labels = by_noun[word]
        picks = _noun_rng(seed, word).choice(len(labels), size=min(per_noun, len(labels)), replace=False)
        chosen += [labels[i] for i in sorted(picks)]
    return chosen


def noun_span(caption: str, word: str) -> tuple[int, int] | None:
    """Where the caption mentions ``word`` (a lemma: plurals and inflections match by stem), in
    UTF-16 code units as the page's JavaScript indexes strings; None when no form of it is found
    (an irregular plural, a synonym the lexicon maps)."""
    parts = [re.escape(part[: max(3, len(part) - 2)]) + r"\w*" for part in word.split()]
    match = re.search(r"\b" + r"\s+".join(parts), caption, flags=re.IGNORECASE)
    if not match:
        return None
    units = [len(caption[:at].encode("utf-16-le")) // 2 for at in match.span()]
    return units[0], units[1]


_STYLE = """
body { font-family: DejaVu Sans, Helvetica, Arial, sans-serif; margin: 1em 2em; color: #222; }
header { display: flex; gap: 2em; align-items: baseline; flex-wrap: wrap; }
#progress { font-variant-numeric: tabular-nums; }
main { display: flex; gap: 2em; margin-top: 1em; align-items: flex-start; flex-wrap: wrap; }
main section { flex: 1 1 22em; }
#picture { image-rendering: pixelated; border: 1px solid #ccc; }
#word { font-size: 2em; font-weight: bold; margin: 0.2em 0; }
#caption { font-size: 1.2em; max-width: 30em; } mark { background: #ffe066; padding: 0 0.1em; }
.buttons button { font-size: 1.2em; padding: 0.4em 1em; margin: 0.5em 0.5em 0 0; cursor: pointer; }
button.chosen { outline: 3px solid #222; }
#right { background: #b2f2bb; } #wrong { background: #ffc9c9; } #unsure { background: #e9ecef; }
#dots { display: flex; flex-wrap: wrap; gap: 2px; margin-top: 1.5em; max-width: 60em; }
#dots span { width: 10px; height: 10px; background: #dee2e6; cursor: pointer; }
#dots span.right { background: #2f9e44; } #dots span.wrong { background: #e03131; } #dots span.unsure { background: #868e96; }
#dots span.current { outline: 2px solid #1c7ed6; }
.muted { color: #777; } kbd { border: 1px solid #aaa; border-radius: 3px; padding: 0 0.3em; }
"""

# Verdicts are kept in localStorage under the review's identity (version, seed, sample size), so
# reopening the page continues where it stopped, and another review's answers never mix in.
_SCRIPT = r"""
const review = JSON.parse(document.getElementById("review").textContent);
const labels = review.labels;
const storeKey = `xpm-review:${review.version_sha256}:${review.seed}:${review.per_noun}`;
let verdicts = {};
try { verdicts = JSON.parse(localStorage.getItem(storeKey) || "{}"); } catch (error) { verdicts = {}; }
let current = 0;
const $ = (id) => document.getElementById(id);
const dots = labels.map((label, i) => {
  const dot = document.createElement("span");
  dot.title = `${label.word}: ${label.key}`;
  dot.addEventListener("click", () => show(i));
  return dot;
});
$("dots").append(...dots);

function paintDot(i) {
  dots[i].className = (verdicts[labels[i].id] || "") + (i === current ? " current" : "");
}

function counts() {
  const tally = {right: 0, wrong: 0, unsure: 0};
  for (const verdict of Object.values(verdicts)) tally[verdict] += 1;
  return tally;
}

function showProgress() {
  const tally = counts();
  const done = tally.right + tally.wrong + tally.unsure;
  $("progress").textContent = `${done} / ${labels.length} reviewed (right ${tally.right}, wrong ${tally.wrong}, unsure ${tally.unsure})`;
}

function show(i) {
  const previous = current;
  current = Math.max(0, Math.min(labels.length - 1, i));
  const label = labels[current];
  $("picture").src = label.picture;
  $("word").textContent = label.word;
  const caption = $("caption");
  caption.textContent = "";
  if (label.mark) {
    const mark = document.createElement("mark");
    mark.textContent = label.caption.slice(label.mark[0], label.mark[1]);
    caption.append(label.caption.slice(0, label.mark[0]), mark, label.caption.slice(label.mark[1]));
  } else {
    caption.textContent = label.caption;
  }
  $("where").textContent = `${current + 1} of ${labels.length} · sample ${label.key}, label ${label.index} · teacher score ${label.score.toFixed(2)}`;
  for (const verdict of ["right", "wrong", "unsure"]) $(verdict).classList.toggle("chosen", verdicts[label.id] === verdict);
  paintDot(previous);
  paintDot(current);
  if (current + 1 < labels.length) new Image().src = labels[current + 1].picture;
}

function decide(verdict) {
  verdicts[labels[current].id] = verdict;
  localStorage.setItem(storeKey, JSON.stringify(verdicts));
  showProgress();
  show(current + 1 < labels.length ? current + 1 : current);
}

function save() {
  const data = {format: review.format, version: review.version, dataset: review.dataset,
                version_sha256: review.version_sha256, seed: review.seed, per_noun: review.per_noun,
                labels: labels.map((label) => ({id: label.id, word: label.word})), verdicts: verdicts};
  const link = document.createElement("a");
  link.href = URL.createObjectURL(new Blob([JSON.stringify(data, null, 1)], {type: "application/json"}));
  link.download = review.file_name;
  document.body.append(link);
  link.click();
  link.remove();
}

for (const verdict of ["right", "wrong", "unsure"]) $(verdict).addEventListener("click", () => decide(verdict));
$("previous").addEventListener("click", () => show(current - 1));
$("next").addEventListener("click", () => show(current + 1));
$("save").addEventListener("click", save);
document.addEventListener("keydown", (event) => {
  if (event.altKey || event.ctrlKey || event.metaKey) return;
  const action = {"1": () => decide("right"), "2": () => decide("wrong"), "3": () => decide("unsure"),
                  "ArrowLeft": () => show(current - 1), "ArrowRight": () => show(current + 1)}[event.key];
  if (action) { event.preventDefault(); action(); }
});
showProgress();
show(0);
"""


def _script_json(data) -> str:
    # A caption's "</script>" or "<!--" would end or confuse the script element; JSON reads the
    # escaped "<" as the same character.
    return json.dumps(data, ensure_ascii=False).replace("<", "\\u003c")


def write_review_page(version: DatasetVersion, out_dir: Path, *, per_noun: int = 20, nouns: str | None = None,
                      seed: int = 0) -> tuple[Path, list[LabelRef]]:
    """The page ``out_dir/index.html`` and one picture per sampled label in ``out_dir/labels/``;
    the page's path and the labels on it, in page order."""
    by_noun = labels_by_noun(version)
    if not by_noun:
        raise ConfigError(f"{version.path} holds no labels to review.")
    names = parse_nouns(nouns, "--nouns")
    check_nouns(names or (), by_noun, "--nouns")
    chosen = sample_labels(by_noun, per_noun=per_noun, nouns=names, seed=seed)
    wanted = defaultdict(list)
    for number, label in enumerate(chosen):
        wanted[label.key].append((number, label))
    rows = [None] * len(chosen)
    for sample in read_samples(version, len(wanted), keys=wanted):
        for number, label in wanted[sample.key]:
            at = slice(label.index, label.index + 1)
            picture = draw_instances(sample.image, sample.boxes[at], sample.masks[at], [label.word], sample.scores[at],
                                     colors=[REVIEW_COLOR], display_size=DISPLAY_SIZE)
            picture.thumbnail((PICTURE_MAX_SIDE, PICTURE_MAX_SIDE))
            name = f"{LABELS_DIR}/{number:05d}.jpg"
            with atomic_output(out_dir / name) as stream:
                picture.save(stream, format="JPEG", quality=PICTURE_QUALITY)
            rows[number] = {"id": label.id, "key": label.key, "index": label.index, "word": label.word,
                            "caption": label.caption, "mark": noun_span(label.caption, label.word),
                            "score": float(sample.scores[label.index]), "picture": name}
    missing = [label.key for label, row in zip(chosen, rows) if row is None]
    if missing:
        raise ConfigError(f"{version.path}: sample {missing[0]} is in the index but in no shard; "
                          f"check the version with `xpm dataset verify {version.path}`.")
    name = version_name(version)
    review = {"format": REVIEW_FORMAT, "version": REVIEW_VERSION, "dataset": name, "version_sha256": version.sha256,
              "seed": seed, "per_noun": per_noun, "labels": rows,
              "file_name": f"review-{name.replace('/', '-')}-seed{seed}.json"}
    title = escape(name)
    page = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>review {title}</title>
<style>{_STYLE}</style>
</head>
<body>
<header>
<h1>Review of {title}</h1>
<span id="progress"></span>
<button id="save">Save verdicts (JSON)</button>
</header>
<p class="muted">{len(chosen)} labels: up to {per_noun} per noun, drawn with seed {seed}. Is the outlined region
the noun in <mark>yellow</mark>? Keys: <kbd>1</kbd> right, <kbd>2</kbd> wrong, <kbd>3</kbd> unsure,
<kbd>&larr;</kbd> <kbd>&rarr;</kbd> previous / next. Verdicts stay in this browser until saved;
score them with <code>xpm dataset score {escape(version.path)} --verdicts FILE.json</code>.</p>
<main>
<img id="picture" alt="the label under review">
<section>
<div id="word"></div>
<div id="caption"></div>
<p id="where" class="muted"></p>
<div class="buttons">
<button id="right">Right (1)</button><button id="wrong">Wrong (2)</button><button id="unsure">Unsure (3)</button>
</div>
<div class="buttons"><button id="previous">&larr; Previous</button><button id="next">Next &rarr;</button></div>
</section>
</main>
<div id="dots"></div>
<script id="review" type="application/json">{_script_json(review)}</script>
<script>{_SCRIPT}</script>
</body>
</html>
"""
    index = out_dir / PAGE
    write_text_atomically(index, page)
    return index, chosen
