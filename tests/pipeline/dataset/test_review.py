import io
import json
import time
from collections import Counter

import numpy as np
import pytest
from PIL import Image

from pipeline.dataset.review import REVIEW_COLOR, _script_json, labels_by_noun, noun_span, sample_labels, write_review_page
from schemas.review import Review
from commands.cli import main
from xpm.io.dataset_version import open_version


@pytest.fixture(scope="module")
def version(tiny_version):
    return open_version(str(tiny_version))


def test_the_sample_is_stratified_and_reproducible_by_seed(version):
    by_noun = labels_by_noun(version)
    assert sum(len(labels) for labels in by_noun.values()) == version.manifest["counts"]["nouns"]
    chosen = sample_labels(by_noun, per_noun=1, seed=5)
    assert Counter(label.word for label in chosen) == {word: 1 for word in by_noun}
    assert chosen == sample_labels(by_noun, per_noun=1, seed=5)
    everything = sample_labels(by_noun, per_noun=1000, seed=5)
    assert sorted(l.id for l in everything) == sorted(l.id for labels in by_noun.values() for l in labels)
    # A noun's draw does not depend on which other nouns are reviewed.
    word = max(by_noun, key=lambda w: len(by_noun[w]))
    assert [l for l in chosen if l.word == word] == sample_labels(by_noun, per_noun=1, nouns=[word], seed=5)
    assert len(by_noun[word]) > 1, "the tiny version needs a noun with more labels than the sample to test the draw"
    draws = {tuple(l.id for l in sample_labels(by_noun, per_noun=1, nouns=[word], seed=seed)) for seed in range(20)}
    assert len(draws) == len(by_noun[word])


def test_the_noun_is_found_in_its_caption():
    assert noun_span("Two knives and a teddy bear on a table", "knife") == (4, 10)
    assert noun_span("Two knives and a teddy bears", "teddy bear") == (17, 28)
    assert noun_span("three mice", "mouse") is None
    # Offsets count UTF-16 code units, as JavaScript's slice does: an emoji is two.
    start, end = noun_span("\U0001F436 and a dog", "dog")
    assert "\U0001F436 and a dog".encode("utf-16-le")[2 * start: 2 * end].decode("utf-16-le") == "dog"


def test_a_caption_cannot_break_out_of_the_page_data():
    text = _script_json({"caption": "a </script><script>alert(1)</script> <!-- dog"})
    assert "<" not in text and json.loads(text)["caption"].startswith("a </script>")


@pytest.mark.parametrize("argv, message", [
    (["--nouns", "dgo"], "'dgo' labels nothing in this version"),
    (["--nouns", ","], "names no noun"),
    (["--per-noun", "0"], "--per-noun 0: review at least 1"),
])
def test_review_refuses_bad_options(tiny_version, tmp_path, capsys, argv, message):
    assert main(["dataset", "review", str(tiny_version), "--out", str(tmp_path / "r"), *argv]) == 2
    assert message in capsys.readouterr().err


def _overlay_pixels(png: bytes) -> int:
    pixels = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)
    return int((np.abs(pixels - np.array(REVIEW_COLOR)).sum(axis=2) < 30).sum())


def test_a_person_reviews_in_chromium_and_saves_what_they_clicked(version, tmp_path, browser, capsys):
    assert main(["dataset", "review", version.path, "--out", str(tmp_path / "review"), "--per-noun", "3"]) == 0
    assert "labels of" in capsys.readouterr().out
    page = tmp_path / "review" / "index.html"
    browser.open(page.as_uri(), ready="document.getElementById('picture').complete && "
                                      "document.getElementById('picture').naturalWidth > 0")
    labels = json.loads(browser.evaluate("document.getElementById('review').textContent"))["labels"]
    assert len(labels) >= 5
    assert browser.evaluate("document.getElementById('word').textContent") == labels[0]["word"]

    # What a screenshot shows: the label's box, mask outline and tag in the review colour.
    assert _overlay_pixels(browser.screenshot()) > 300

    browser.click("#right")                 # label 0 right, on to 1
    browser.press("2")                      # label 1 wrong, on to 2
    browser.press("ArrowRight")             # label 2 skipped
    browser.press("3")                      # label 3 unsure, on to 4
    browser.press("ArrowLeft")              # back to 3 ...
    browser.press("1")                      # ... changed to right, on to 4
    browser.click("#wrong")                 # label 4 wrong
    expected = {labels[0]["id"]: "right", labels[1]["id"]: "wrong", labels[3]["id"]: "right", labels[4]["id"]: "wrong"}
    progress = browser.evaluate("document.getElementById('progress').textContent")
    assert progress.startswith(f"4 / {len(labels)} reviewed (right 2, wrong 2, unsure 0)")

    browser.click("#save")
    saved = json.loads(browser.downloaded().read_text())
    review = Review.from_json(saved)
    assert review.verdicts == expected
    assert [label.id for label in review.labels] == [label["id"] for label in labels]
    assert review.version_sha256 == version.sha256 and review.per_noun == 3 and review.seed == 0

    # Closed and reopened, the page has kept the verdicts. Chromium commits localStorage to its
    # store a moment after the write, so a reopening right away may come too early: retried.
    deadline = time.monotonic() + 20
    while True:
        browser.open("about:blank")
        browser.open(page.as_uri())
        restored = browser.evaluate("document.getElementById('progress').textContent")
        if restored == progress or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert restored == progress


def test_the_screenshot_check_fails_on_a_blank_page(browser):
    browser.open("about:blank")
    assert _overlay_pixels(browser.screenshot()) == 0


@pytest.mark.slow
def test_several_hundred_labels_answer_without_lag(judged_version, tmp_path, browser):
    version, _, _ = judged_version
    page, labels = write_review_page(version, tmp_path / "review", per_noun=5)
    assert len(labels) >= 400
    browser.open(page.as_uri())
    # Every label answered through the page's own handler, timed inside the page.
    elapsed = browser.evaluate("(() => { const t = performance.now(); "
                               "for (let i = 0; i < labels.length; i++) decide(['right', 'wrong', 'unsure'][i % 3]); "
                               "return performance.now() - t; })()")
    assert browser.evaluate("document.getElementById('progress').textContent").startswith(f"{len(labels)} / {len(labels)} reviewed")
    assert elapsed / len(labels) < 20, f"{elapsed / len(labels):.1f} ms per verdict"
