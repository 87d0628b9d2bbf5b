"""The layers, weights, samples and info commands (dreamlib/cli/info.py)."""

from PIL import Image

from tests.helpers import run_cli


def test_layers_lists_names_and_marks_the_default(capsys):
    code, out, _ = run_cli(capsys, "layers", "--model", "googlenet")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "conv1" and lines[-1] == "inception5b" and "inception4c  (default)" in lines
    code, out, _ = run_cli(capsys, "layers", "--model", "shapes_dreamer")  # a model with its own dream settings
    assert code == 0 and out.splitlines()[-2:] == [
        "conv6  (default)",
        "its own dream settings: --octave-scale 2.0 --steps 15",
    ]
    code, _, err = run_cli(capsys, "layers", "--model", "nope")
    assert code == 2 and "choose one of" in err


def test_weights_command_shows_the_cache_and_downloads_only_when_asked(capsys, tmp_path, monkeypatch):
    import dataclasses
    from types import SimpleNamespace

    from dreamlib.models import MODELS
    from tests.helpers import seed_weights_cache

    cached = seed_weights_cache(monkeypatch, tmp_path, "googlenet", {})
    cache = cached.parent
    (cache / "resnet50-0676ba61.pth").write_bytes(b"half a file")  # a damaged copy under torchvision's name
    code, out, _ = run_cli(capsys, "weights")
    lines = {line.split()[0]: line for line in out.splitlines()}
    assert code == 0 and set(lines) == {"googlenet", "inception_v3", "resnet50", "vgg16", "vit_b_16"}
    assert lines["googlenet"].split()[1] == "cached" and str(cached) in lines["googlenet"]
    assert lines["resnet50"].split()[1] == "damaged"
    assert "missing" in lines["vgg16"] and "https://download.pytorch.org/models/vgg16-397923af.pth" in lines["vgg16"]
    real = MODELS["vgg16"].weights()
    fake = SimpleNamespace(url="http://127.0.0.1:9/models/vgg16-397923af.pth", meta=real.meta)
    monkeypatch.setitem(MODELS, "vgg16", dataclasses.replace(MODELS["vgg16"], weights=lambda: fake))
    code, _, err = run_cli(capsys, "weights", "--model", "vgg16", "--download")
    assert code == 2 and err.splitlines()[-1].startswith("error: could not download ImageNet weights for vgg16")
    code, _, err = run_cli(capsys, "weights", "--model", "shapes")
    assert code == 2 and "choose one of: googlenet, inception_v3, resnet50, vgg16, vit_b_16" in err


def test_samples_are_listed_and_nameable_as_inputs(capsys, tmp_path):
    code, out, _ = run_cli(capsys, "samples")
    assert code == 0 and "sample:chelsea" in out.split()
    target = tmp_path / "cat.png"
    code, out, err = run_cli(
        capsys,
        "dream",
        "sample:chelsea",
        "-o",
        target,
        "--model",
        "shapes",
        "--size",
        "48",
        "--steps",
        "1",
        "--octaves",
        "1",
        "-q",
    )
    assert code == 0 and out.strip() == str(target) and Image.open(target).size == (48, 32)
    code, _, err = run_cli(capsys, "dream", "sample:nothing", "-o", tmp_path / "x.png", "--model", "shapes")
    assert code == 2 and err.strip().startswith(
        "error: unknown sample image 'nothing'; choose one of: astronaut, chelsea"
    )
    assert not (tmp_path / "x.png").exists()
