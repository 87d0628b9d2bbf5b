"""Whole folders: dreamed image by image, resumable (dreamlib/io/folders.py)."""

from __future__ import annotations

import pytest
import torch
from PIL import Image

import dreamlib
import dreamlib.io.folders
from dreamlib.io.records import read_record
from tests.helpers import run_cli

SMALL = ["--model", "shapes", "--size", "40", "--steps", "2", "--octaves", "2", "-q"]


def test_a_folder_is_dreamed_image_by_image_with_settings_in_each_png(capsys, photos, tmp_path):
    out = tmp_path / "dreamed"
    code, stdout, err = run_cli(capsys, "dream", photos, "-o", out, *SMALL, "--seed", "5")
    assert code == 0, err
    assert sorted(p.name for p in out.iterdir()) == ["a.png", "b.png", "c.png"]
    assert stdout.split() == [str(out / n) for n in ("a.png", "b.png", "c.png")]
    assert "3 dreamed, 0 already complete" in err
    record = read_record(out / "b.png")
    assert record["input"] == str(photos / "b.jpg") and len(record["input_sha256"]) == 64
    assert {
        k: record[k] for k in ("model", "weights", "layer", "octaves", "steps", "seed", "size", "precision")
    } == dict(
        model="shapes",
        weights="shipped",
        layer="conv5",
        octaves="2",
        steps="2",
        seed="5",
        size="40",
        precision=dreamlib.resolve_precision("auto", torch.device("cpu")),
    )  # what auto measured on this machine
    assert record["version"] == dreamlib.__version__ and record["lr"] == "0.01" and record["jitter"] == "32"
    with Image.open(out / "a.png") as im:
        assert im.size == (40, 30)


def test_an_interrupted_folder_run_resumes_and_leaves_no_partial_files(capsys, photos, tmp_path, monkeypatch):
    out = tmp_path / "dreamed"
    real_dream, calls = dreamlib.io.folders.dream, []

    def dies_on_the_second(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real_dream(*args, **kwargs)

    monkeypatch.setattr(dreamlib.io.folders, "dream", dies_on_the_second)
    code, _, err = run_cli(capsys, "dream", photos, "-o", out, *SMALL)
    assert code == 130 and "interrupted" in err
    assert [p.name for p in out.iterdir()] == ["a.png"]  # the finished one; no temporary file left behind
    first = (out / "a.png").stat().st_mtime_ns

    monkeypatch.setattr(dreamlib.io.folders, "dream", real_dream)
    code, stdout, err = run_cli(capsys, "dream", photos, "-o", out, *SMALL)
    assert code == 0 and stdout.split() == [str(out / "b.png"), str(out / "c.png")]
    assert "2 dreamed, 1 already complete (skipped)" in err
    assert (out / "a.png").stat().st_mtime_ns == first

    # Other settings make other pictures: nothing is "complete" for them.
    code, stdout, err = run_cli(capsys, "dream", photos, "-o", out, *SMALL, "--steps", "3")
    assert code == 0 and "3 dreamed, 0 already complete" in err and read_record(out / "a.png")["steps"] == "3"


@pytest.mark.parametrize(
    "make, output, message",
    [
        (lambda d: None, "out.png", "is a folder, so -o must be a folder too"),
        (lambda d: None, "SAME", "is the input folder; choose another"),
        (lambda d: [p.unlink() for p in d.iterdir()], "out", "error: no images in"),
        (lambda d: Image.new("RGB", (8, 8)).save(d / "a.jpg"), "out", "a.jpg and a.png would both be written to"),
    ],
)
def test_folder_mistakes_are_one_line(capsys, photos, tmp_path, make, output, message):
    make(photos)
    target = photos if output == "SAME" else tmp_path / output
    before = sorted(p.name for p in photos.iterdir())
    code, _, err = run_cli(capsys, "dream", photos, "-o", target, *SMALL)
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1
    assert sorted(p.name for p in photos.iterdir()) == before
    assert not (tmp_path / "out").exists() and not (tmp_path / "out.png").exists()


def test_an_unreadable_image_is_reported_and_the_others_are_dreamed(capsys, photos, tmp_path):
    (photos / "broken.png").write_text("not really a png")
    out = tmp_path / "dreamed"
    code, _, err = run_cli(capsys, "dream", photos, "-o", out, *SMALL)
    assert code == 2 and "warning: skipped broken.png" in err
    assert err.strip().splitlines()[-1] == "error: 1 image(s) could not be read: broken.png"
    assert sorted(p.name for p in out.iterdir()) == ["a.png", "b.png", "c.png"]
