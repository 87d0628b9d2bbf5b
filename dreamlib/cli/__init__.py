"""The ``dreamlib`` command line: ``dream``, ``zoom``, ``render``, ``catalogue``, ``layers``, ``weights``,
``samples`` and ``info``.

:mod:`~dreamlib.cli.app` holds the parser and :func:`main`; :mod:`~dreamlib.cli.options` the options the
commands share; :mod:`~dreamlib.cli.dream`, :mod:`~dreamlib.cli.render` and :mod:`~dreamlib.cli.info` the
commands; :mod:`~dreamlib.cli.signals` how the program behaves toward its shell. Importing this package runs
nothing (the program installs its signal handlers first); nothing here imports torch until a command runs.
"""

from __future__ import annotations


def main(argv: list[str] | None = None, program: bool = False) -> int:
    """Run the command line (see :func:`dreamlib.cli.app.main`)."""
    from .app import main as run

    return run(argv, program)


__all__ = ["main"]
