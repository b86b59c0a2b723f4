import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from pipeline.dataset.html_report import write_html_report
from xpm.io.dataset_version import open_version
from commands.cli import main

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# Without these a headless Chromium on a closed network floods the log with refused connections.
QUIET_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--disable-quic"]


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links: list[tuple[str, str]] = []

    def handle_starttag(self, tag, attrs):
        self.links += [(tag, value) for name, value in attrs if name in ("src", "href")]


def _links(html: str) -> list[tuple[str, str]]:
    parser = _Links()
    parser.feed(html)
    return parser.links


@pytest.fixture(scope="module")
def report(tiny_version, tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    return write_html_report(open_version(str(tiny_version)), out, samples=4)


def test_static_files_with_relative_links_that_exist(report, tiny_version):
    html = report.read_text()
    for heading in ("Counts", "Nouns by frequency", "Rejects by reason", "Alignment scores", "Lineage", "Gallery"):
        assert f">{heading}</h2>" in html
    assert "<script" not in html
    links = _links(html)
    files = [value for _, value in links if not value.startswith("#")]
    assert files and all(not re.match(r"^[a-z]+:|^/", value) for value in files)
    for value in files:
        assert (report.parent / value).is_file(), value
    gallery = [value for tag, value in links if tag == "img" and value.startswith("samples/")]
    assert len(gallery) == 4
    assert {("img", "nouns.png"), ("a", "nouns.svg"), ("img", "scores.png"), ("a", "scores.svg")} <= set(links)


def test_report_command(tiny_version, tmp_path, capsys):
    assert main(["dataset", "report", str(tiny_version), "--out", str(tmp_path / "r"), "--samples", "2"]) == 0
    printed = capsys.readouterr()
    assert (tmp_path / "r" / "index.html").is_file() and "open it in a browser" in printed.out
    assert len(list((tmp_path / "r" / "samples").glob("0*.png"))) == 2
    progress = [line for line in printed.err.splitlines() if "loading libraries" not in line]
    assert progress[0].startswith("dataset report: reading the labels of ") and progress[0].endswith(" for the alignment scores")
    assert progress[1].startswith("render: 1/2 samples") and progress[-1].startswith("render: 2/2 samples")


def _chromium(page: Path, profile: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [CHROMIUM, *QUIET_FLAGS, f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0", *args, page.as_uri()],
        capture_output=True, text=True, timeout=120,
    )


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (scripts/setup.sh installs it)")
def test_report_renders_in_headless_chromium(report, tmp_path):
    dom = _chromium(report, tmp_path / "profile-dom", "--dump-dom")
    assert dom.returncode == 0, dom.stderr[-2000:]
    # The page has no script: any console message (an error, an uncaught exception) is a fault.
    console = [line for line in dom.stderr.splitlines() if ":CONSOLE" in line or "Failed to load resource" in line]
    assert not console, console
    # the charts (matplotlib PNGs) are in the rendered page, and no resource failed to load (above)
    assert '<img src="nouns.png"' in dom.stdout and '<img src="scores.png"' in dom.stdout
    gallery = re.search(r'<div class="gallery">(.*?)</div>', dom.stdout, re.S)
    assert gallery and len(re.findall(r'<img src="samples/[^"]+\.png"', gallery.group(1))) == 4

    # Tall enough that the whole report, gallery included, is in the one screenshot.
    shot = tmp_path / "report.png"
    result = _chromium(report, tmp_path / "profile-shot", f"--screenshot={shot}", "--window-size=1280,4000")
    assert result.returncode == 0 and shot.is_file(), result.stderr[-2000:]
    pixels = np.asarray(Image.open(shot).convert("RGB"))
    assert pixels.std() > 10
    # Text, tables and the one-colour chart have a few hundred colours; the gallery's pictures
    # bring thousands, so this fails when the thumbnails do not render.
    assert len(np.unique(pixels.reshape(-1, 3), axis=0)) > 2000

    # The charts alone, as Chromium draws them: a blank or undecodable PNG leaves a white page.
    for chart in ("nouns.png", "scores.png"):
        page = tmp_path / f"{chart}.html"
        page.write_text(f'<html><body style="margin:0"><img src="{(report.parent / chart).as_uri()}"></body></html>')
        shot = tmp_path / f"{chart}.shot.png"
        result = _chromium(page, tmp_path / f"profile-{chart}", f"--screenshot={shot}", "--window-size=800,600",
                           "--allow-file-access-from-files")
        assert result.returncode == 0 and shot.is_file(), result.stderr[-2000:]
        drawn = np.asarray(Image.open(shot).convert("RGB")).astype(int)
        ink = (np.abs(drawn - 255).sum(axis=2) > 60).mean()  # share of pixels clearly not white
        assert 0.01 < ink < 0.6, (chart, ink)


def test_the_score_distribution_counts_every_label_once(tiny_version):
    from pipeline.dataset.inspect import score_distribution

    version = open_version(str(tiny_version))
    scores = score_distribution(version)
    assert sum(scores.kept_by_score_bin) == len(scores.kept_logits) == version.manifest["counts"]["nouns"]
    assert len(scores.unlabeled_logits) == sum(version.manifest["counts"]["unlabeled_by_reason"].values())
    low, *_, high = scores.quantiles("kept")
    assert low == min(scores.kept_logits) and high == max(scores.kept_logits)
