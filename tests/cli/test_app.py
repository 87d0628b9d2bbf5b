"""The dreamlib program: one-line errors, exit codes, usage and help (dreamlib/cli/app.py)."""

import pytest

from dreamlib.cli import main
from tests.helpers import run_cli


def test_unknown_command_is_one_line(capsys):
    code, _, err = run_cli(capsys, "paint")
    assert code == 2 and err.startswith("error: ") and len(err.strip().splitlines()) == 1


def test_disk_errors_are_one_line_too(capsys, photo, tmp_path, monkeypatch):
    import dreamlib.images

    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(dreamlib.images, "save_image", full_disk)
    out = tmp_path / "o.png"
    code, _, err = run_cli(capsys, "dream", photo, "-o", out, "--model", "shapes", "--size", "64", "--steps", "1", "-q")
    assert code == 2 and err.strip() == "error: No space left on device" and not out.exists()


# --- issue 10: usage, version, help and bundled samples ------------------------------------------------------


def test_bare_command_prints_the_usage_and_version_prints_the_version(capsys):
    import dreamlib

    code, out, err = run_cli(capsys)
    assert code == 2 and err.startswith("usage: ") and "dream" in err and "samples" in err and "error" not in err
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0 and capsys.readouterr().out.strip() == f"dreamlib {dreamlib.__version__}"


def test_every_option_has_help_and_shows_its_default():
    import argparse

    from dreamlib.cli.app import build_parser

    parser = build_parser()
    (sub,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    assert set(sub.choices) >= {"dream", "zoom", "layers", "weights", "samples"}
    for name, command in sub.choices.items():
        for action in command._actions:
            assert action.help, f"{name} {action.option_strings or action.dest} has no help"
        text = command.format_help()
        for action in command._actions:
            if action.option_strings and action.default not in (None, False, argparse.SUPPRESS):
                assert f"(default: {action.default})" in " ".join(text.split()), (name, action.dest)
    dream_help = " ".join(sub.choices["dream"].format_help().split())
    assert (
        "--octave-scale" in dream_help and "(default: the model's own; 1.4 for most models, see `layers`)" in dream_help
    )
    assert "(default: 1.4)" in " ".join(sub.choices["video"].format_help().split())  # its own recipe, not the model's


def test_program_name_is_the_one_the_user_typed():
    from dreamlib.cli.app import program_name

    assert program_name("/usr/local/bin/dreamlib") == "dreamlib"
    assert program_name("/x/site-packages/dreamlib/__main__.py") == "python -m dreamlib"
