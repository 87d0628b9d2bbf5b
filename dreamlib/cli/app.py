"""The ``dreamlib`` program: its parser, and :func:`main`, which turns every way a run can end into one line.

Every user error prints one line ``error: ...`` on stderr and exits with status 2: no traceback, and no output
file is written unless the work succeeded. Interruptions are clean too: Ctrl-C and SIGTERM print one line and
leave no temporary file, from the first instant (:mod:`dreamlib.cli.signals`); a closed or full standard output
(``dreamlib layers | head``) is not an error story.
"""

from __future__ import annotations

import argparse
import functools
import sys
import warnings

from ..errors import DreamError
from . import dream, info, render, video
from .options import Help, Parser, program_name
from .signals import Terminated, handled_signals, message, ready, silence_stdout, stdout_failed, warn_one_line

# What each command imports before it starts work: imported while a signal still ends the program at once
# (an exception inside a C extension's import would leave it half-loaded).
HEAVY = ("numpy", "PIL.Image", "torch", "tqdm.auto", "dreamlib.octaves")
MODELS = ("torchvision", "dreamlib.vis.render")


def build_parser() -> argparse.ArgumentParser:
    from .. import __version__

    p = Parser(prog=program_name(), description="DeepDream images from the command line.", formatter_class=Help)
    p.add_argument("--version", action="version", version=f"dreamlib {__version__}")
    sub = p.add_subparsers(
        dest="command",
        required=True,
        parser_class=Parser,
        metavar="COMMAND",
        title="commands (`COMMAND -h` for its options)",
    )
    sub.add_parser = functools.partial(sub.add_parser, formatter_class=Help)  # every subcommand shows defaults
    dream.add_parsers(sub)
    info.add_parsers(sub)
    render.add_parsers(sub)
    video.add_parsers(sub)
    return p


def _run(argv: list[str] | None, program: bool) -> int:
    with warnings.catch_warnings():  # restored on exit: in-process callers keep their own warning display
        warnings.showwarning = warn_one_line
        parser = build_parser()
        if not (sys.argv[1:] if argv is None else argv):  # bare `dreamlib`: the usage, not a bare error
            print(parser.format_help(), end="", file=sys.stderr)
            return 2
        args = parser.parse_args(argv)
        if program:
            ready(
                HEAVY
                + (
                    MODELS
                    if args.command in ("dream", "zoom", "render", "catalogue", "weights", "video", "accentuate")
                    else ()
                )
                + (("cv2", "dreamlib.video") if args.command == "video" else ())
                + (("dreamlib.vis.accentuate",) if args.command == "accentuate" else ())
            )
        code = args.run(args)
        sys.stdout.flush()  # a closed or full stdout fails here, inside our handlers, not at exit
        return code


def main(argv: list[str] | None = None, program: bool = False) -> int:
    """Entry point of ``python -m dreamlib`` and the ``dreamlib`` script (``program=True``); in-process callers
    (tests) leave ``program`` False and keep their own Ctrl-C."""
    try:
        with handled_signals(program):
            return _run(argv, program)
    except SystemExit:  # argparse after --help / usage: its output must reach a closed pipe quietly too
        if stdout_failed():
            silence_stdout()
        raise
    except BrokenPipeError:  # `dreamlib layers | head`: the reader has what it wanted
        silence_stdout()
        return 141  # what a shell reports for a command stopped by SIGPIPE
    except DreamError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # the disk filled up, a file vanished mid-run...: still one line, no traceback
        where = exc.filename or ("standard output" if stdout_failed() else None)
        if where == "standard output":
            silence_stdout()
        print(f"error: {exc.strerror or exc}{f': {where}' if where else ''}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except Terminated as exc:
        print(message(exc.signum), file=sys.stderr)
        return 128 + exc.signum
