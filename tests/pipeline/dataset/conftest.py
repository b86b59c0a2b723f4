import base64
import json
import os
import select
import shutil
import subprocess
import time
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# Without these a headless Chromium on a closed network floods the log with refused connections.
QUIET_FLAGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--disable-quic"]
# Key events as a keyboard sends them: (key, code, Windows virtual key code, text typed).
KEYS = {"1": ("1", "Digit1", 49, "1"), "2": ("2", "Digit2", 50, "2"), "3": ("3", "Digit3", 51, "3"),
        "ArrowLeft": ("ArrowLeft", "ArrowLeft", 37, ""), "ArrowRight": ("ArrowRight", "ArrowRight", 39, "")}


class Browser:
    """Headless Chromium driven through the DevTools protocol over ``--remote-debugging-pipe``
    (requests in on fd 3, replies out on fd 4, NUL-separated JSON): mouse and key events go
    through the browser's input pipeline as a person's would, with nothing but the standard
    library and Debian's chromium."""

    def __init__(self, profile: Path, downloads: Path, width: int = 1280, height: int = 1000):
        to_browser, self._write = os.pipe()
        self._read, from_browser = os.pipe()
        # Parked on high numbers first, so that moving them onto 3 and 4 cannot overwrite each other.
        os.dup2(to_browser, 103)
        os.dup2(from_browser, 104)
        self._process = subprocess.Popen(
            [CHROMIUM, "--headless=new", *QUIET_FLAGS, "--remote-debugging-pipe", f"--user-data-dir={profile}",
             f"--window-size={width},{height}", "about:blank"],
            preexec_fn=lambda: (os.dup2(103, 3), os.dup2(104, 4)), close_fds=False,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for fd in (to_browser, from_browser, 103, 104):
            os.close(fd)
        self._next_id, self._buffer, self.events = 0, b"", []
        self.downloads = downloads
        self.call("Browser.setDownloadBehavior", behavior="allow", downloadPath=str(downloads), eventsEnabled=True)
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        self._session = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        self.call("Page.enable", session=True)

    def _message(self, timeout: float = 60) -> dict:
        deadline = time.monotonic() + timeout
        while b"\0" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self._process.poll() is not None:
                raise TimeoutError("no reply from chromium")
            if not select.select([self._read], [], [], remaining)[0]:
                continue
            chunk = os.read(self._read, 1 << 20)
            if not chunk:
                raise RuntimeError("chromium closed the DevTools pipe")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def call(self, method: str, session: bool = False, **params) -> dict:
        self._next_id += 1
        request = {"id": self._next_id, "method": method, "params": params}
        if session:
            request["sessionId"] = self._session
        os.write(self._write, json.dumps(request).encode() + b"\0")
        while True:
            message = self._message()
            if message.get("id") == self._next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            self.events.append(message)

    def evaluate(self, expression: str):
        result = self.call("Runtime.evaluate", session=True, expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def open(self, url: str, ready: str = "true", timeout: float = 60) -> None:
        """Navigate and return once the new document has loaded and ``ready`` holds in it (the
        old document may still answer right after Page.navigate)."""
        self.events.clear()
        self.call("Page.navigate", session=True, url=url)
        while not any(event.get("method") == "Page.loadEventFired" for event in self.events):
            self.events.append(self._message(timeout))
        self.wait_for(ready)

    def wait_for(self, condition: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while not self.evaluate(f"Boolean({condition})"):
            if time.monotonic() > deadline:
                raise TimeoutError(f"still false after {timeout} s: {condition}")
            time.sleep(0.05)

    def click(self, selector: str) -> None:
        """A left click at the centre of the element, as the mouse makes it."""
        x, y = self.evaluate(f"(() => {{ const r = document.querySelector({json.dumps(selector)}).getBoundingClientRect(); "
                             "return [r.x + r.width / 2, r.y + r.height / 2]; })()")
        for kind in ("mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", session=True, type=kind, x=x, y=y, button="left", clickCount=1)

    def press(self, name: str) -> None:
        key, code, virtual, text = KEYS[name]
        down = {"type": "keyDown", "text": text} if text else {"type": "rawKeyDown"}
        self.call("Input.dispatchKeyEvent", session=True, key=key, code=code, windowsVirtualKeyCode=virtual, **down)
        self.call("Input.dispatchKeyEvent", session=True, type="keyUp", key=key, code=code, windowsVirtualKeyCode=virtual)

    def screenshot(self) -> bytes:
        return base64.b64decode(self.call("Page.captureScreenshot", session=True, format="png")["data"])

    def downloaded(self, timeout: float = 30) -> Path:
        """The one finished download."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            done = [p for p in self.downloads.iterdir() if not p.name.endswith(".crdownload")]
            if done:
                return done[0]
            time.sleep(0.1)
        raise TimeoutError(f"nothing downloaded into {self.downloads}")

    def close(self) -> None:
        self._process.kill()
        self._process.wait(timeout=30)
        os.close(self._read)
        os.close(self._write)


@pytest.fixture
def browser(tmp_path):
    if CHROMIUM is None:
        pytest.skip("Debian's chromium is not installed (scripts/setup.sh installs it)")
    (tmp_path / "downloads").mkdir()
    chromium = Browser(tmp_path / "profile", tmp_path / "downloads")
    yield chromium
    chromium.close()


@pytest.fixture(scope="session")
def judged_version(tiny_teacher, tmp_path_factory):
    """``(version, {label id: correct?}, {noun: rate})``: 600 captioned images of a synthetic world
    labelled by the pipeline (the paper's rule, which labels every caption noun), and a truth
    for them whose per-noun precision spans 0 to 1.

    The tiny teacher's boxes are almost never right, which would make every interval trivially
    cover a precision of 0; so the truth keeps each label as a true instance with a probability
    (the rate) drawn per noun, and the labels are judged by the trainers' judge against that truth."""
    from pipeline.config import PseudoLabelConfig
    from pipeline.job import run_pseudo_label
    from schemas.pseudo_label import PseudoLabels
    from schemas.review import label_id
    from trainers.evaluation.pseudo_label_quality import judged_samples
    from xpm.io.captioned_shards import read_captioned_shard
    from xpm.io.dataset_version import open_version
    from xpm.synth.config import SynthConfig
    from xpm.synth.world import synthesize

    import numpy as np

    folder = tmp_path_factory.mktemp("judged")
    world = synthesize(SynthConfig(seed=4, train_images=0, caption_images=600, val_images=0, image_size=64, shard_size=100),
                       folder / "world").out_dir
    config = PseudoLabelConfig(input=str(world / "captioned" / "*.tar"), teacher=str(tiny_teacher),
                               output=str(folder / "versions"), name="judged", device="cpu", alignment="eq2")
    version = open_version(run_pseudo_label(config).version_dir)
    rng = np.random.default_rng(0)
    keep = {row["word"]: rng.uniform(0.02, 0.98) for row in version.vocab}
    images, annotations = [], []
    for shard in version.manifest["shards"]:
        for key, parts in read_captioned_shard(version.shard_path(shard["name"])):
            labels = PseudoLabels.from_json(json.loads(parts["json"]))
            images.append({"id": len(images) + 1, "file_name": key, "width": labels.width, "height": labels.height})
            for noun in labels.nouns:
                if rng.random() < keep[noun.word]:
                    x1, y1, x2, y2 = noun.box_xyxy
                    annotations.append({"id": len(annotations) + 1, "image_id": images[-1]["id"], "category_id": noun.vocab_id,
                                        "segmentation": noun.mask_rle, "bbox": [x1, y1, x2 - x1, y2 - y1], "iscrowd": 0})
    truth = folder / "truth.json"
    categories = [{"id": row["vocab_id"], "name": row["word"]} for row in version.vocab]
    truth.write_text(json.dumps({"images": images, "annotations": annotations, "categories": categories}))
    correct = {}
    for key, _, judged in judged_samples(version, truth, {word: word for word in keep}):
        correct.update({label_id(key, index): label.status == "correct" for index, label in enumerate(judged)})
    return version, correct, keep


@pytest.fixture(scope="session")
def simulated_review():
    """``(version, correct, per_noun, seed, path)``: the review file a reviewer who answers from
    the truth saves, for the labels the review page draws."""
    from pipeline.dataset.review import labels_by_noun, sample_labels, version_name
    from schemas.review import REVIEW_FORMAT, REVIEW_VERSION

    def review(version, correct, per_noun, seed, path):
        labels = sample_labels(labels_by_noun(version), per_noun=per_noun, seed=seed)
        path.write_text(json.dumps({
            "format": REVIEW_FORMAT, "version": REVIEW_VERSION, "dataset": version_name(version),
            "version_sha256": version.sha256, "seed": seed, "per_noun": per_noun,
            "labels": [{"id": label.id, "word": label.word} for label in labels],
            "verdicts": {label.id: "right" if correct[label.id] else "wrong" for label in labels},
        }))
        return path

    return review
