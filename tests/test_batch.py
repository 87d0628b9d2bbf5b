"""Folders at once (dreamlib.batch) and the settings every PNG carries (dreamlib.metadata), through the CLI."""

from __future__ import annotations

import shlex

import numpy as np
import pytest
import torch
from PIL import Image

import dreamlib
import dreamlib.batch
from tests.conftest import run_cli
from dreamlib.metadata import read_record

SMALL = ["--model", "shapes", "--size", "40", "--steps", "2", "--octaves", "2", "-q"]


@pytest.fixture
def photos(tmp_path):
    folder = tmp_path / "photos"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for name in ("a.png", "b.jpg", "c.png"):
        Image.fromarray(rng.integers(0, 255, (30, 40, 3), dtype=np.uint8)).save(folder / name)
    (folder / "notes.txt").write_text("not an image")
    return folder


def test_a_folder_is_dreamed_image_by_image_with_settings_in_each_png(capsys, photos, tmp_path):
    out = tmp_path / "dreamed"
    code, stdout, err = run_cli(capsys, "dream", photos, "-o", out, *SMALL, "--seed", "5")
    assert code == 0, err
    assert sorted(p.name for p in out.iterdir()) == ["a.png", "b.png", "c.png"]
    assert stdout.split() == [str(out / n) for n in ("a.png", "b.png", "c.png")]
    assert "3 dreamed, 0 already complete" in err
    record = read_record(out / "b.png")
    assert record["input"] == str(photos / "b.jpg") and len(record["input_sha256"]) == 64
    assert {k: record[k] for k in ("model", "weights", "layer", "octaves", "steps", "seed", "size", "precision")} == dict(
        model="shapes", weights="shipped", layer="conv5", octaves="2", steps="2", seed="5", size="40",
        precision=dreamlib.resolve_precision("auto", torch.device("cpu")))  # what auto measured on this machine
    assert record["version"] == dreamlib.__version__ and record["lr"] == "0.01" and record["jitter"] == "32"
    with Image.open(out / "a.png") as im:
        assert im.size == (40, 30)


def test_an_interrupted_folder_run_resumes_and_leaves_no_partial_files(capsys, photos, tmp_path, monkeypatch):
    out = tmp_path / "dreamed"
    real_dream, calls = dreamlib.batch.dream, []

    def dies_on_the_second(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real_dream(*args, **kwargs)

    monkeypatch.setattr(dreamlib.batch, "dream", dies_on_the_second)
    code, _, err = run_cli(capsys, "dream", photos, "-o", out, *SMALL)
    assert code == 130 and "interrupted" in err
    assert [p.name for p in out.iterdir()] == ["a.png"]  # the finished one; no temporary file left behind
    first = (out / "a.png").stat().st_mtime_ns

    monkeypatch.setattr(dreamlib.batch, "dream", real_dream)
    code, stdout, err = run_cli(capsys, "dream", photos, "-o", out, *SMALL)
    assert code == 0 and stdout.split() == [str(out / "b.png"), str(out / "c.png")]
    assert "2 dreamed, 1 already complete (skipped)" in err
    assert (out / "a.png").stat().st_mtime_ns == first

    # Other settings make other pictures: nothing is "complete" for them.
    code, stdout, err = run_cli(capsys, "dream", photos, "-o", out, *SMALL, "--steps", "3")
    assert code == 0 and "3 dreamed, 0 already complete" in err and read_record(out / "a.png")["steps"] == "3"


def test_a_png_carries_what_re_makes_it_exactly(capsys, tmp_path):
    first = tmp_path / "first.png"
    code, _, err = run_cli(capsys, "dream", "sample:chelsea", "-o", first, *SMALL, "--seed", "7", "--lr", "0.0123456789",
                           "--layer", "conv3", "--channel", "4")
    assert code == 0, err
    code, stdout, _ = run_cli(capsys, "info", first)
    assert code == 0
    fields = dict(line.split(None, 1) for line in stdout.split("\n\n")[0].splitlines())
    assert fields["lr"] == "0.0123456789" and fields["channel"] == "4" and fields["input"] == "sample:chelsea"
    command = stdout.strip().splitlines()[-1].strip()
    words = shlex.split(command)
    assert words[:3] == ["python", "-m", "dreamlib"] and "--seed" in words and "--channel" in words
    again = tmp_path / "again.png"
    args = [w if w != "again.png" else str(again) for w in words[3:]]  # only what the file recorded
    code, _, err = run_cli(capsys, *args, "-q")
    assert code == 0, err
    assert np.array_equal(np.asarray(Image.open(first)), np.asarray(Image.open(again)))
    other = tmp_path / "other.png"
    code, _, _ = run_cli(capsys, *[a if a != str(again) else str(other) for a in args], "--seed", "8", "-q")
    assert code == 0 and not np.array_equal(np.asarray(Image.open(first)), np.asarray(Image.open(other)))


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


def test_info_needs_a_png_dreamlib_wrote(capsys, tmp_path):
    plain = tmp_path / "plain.png"
    Image.new("RGB", (8, 8)).save(plain)
    code, _, err = run_cli(capsys, "info", plain)
    assert code == 2 and err.strip() == f"error: {plain} carries no dreamlib settings (only PNGs that dreamlib wrote do)"
    code, _, err = run_cli(capsys, "info", tmp_path / "none.png")
    assert code == 2 and err.strip() == f"error: no such file: {tmp_path / 'none.png'}"


def test_the_python_api_records_too_and_refuses_to_promise_what_it_cannot(photos, tmp_path):
    from dreamlib.metadata import dream_record, rerun_command

    model = dreamlib.load_model("shapes")
    report = dreamlib.dream_folder(model, photos, tmp_path / "out", size=40, steps=1, octaves=1, progress=False)
    assert len(report.dreamed) == 3 and not report.skipped
    assert read_record(tmp_path / "out" / "a.png")["seed"] == "0"  # folders always get a seed: re-made and resumed
    again = dreamlib.dream_folder(model, photos, tmp_path / "out", size=40, steps=1, octaves=1, progress=False)
    assert len(again.skipped) == 3 and not again.dreamed
    with pytest.raises(dreamlib.DreamError, match="without a seed"):
        rerun_command(dream_record(model, source="sample:chelsea", seed=None))
    with pytest.raises(dreamlib.DreamError, match="set in Python"):
        rerun_command(dream_record(model, source="sample:chelsea", seed=1, objective=dreamlib.layer_l2("conv2")))
