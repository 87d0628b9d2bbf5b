"""The ``dreamlib`` command line: ``dream``, ``zoom``, ``render``, ``catalogue``, ``layers``, ``weights``,
``samples`` and ``info``.

:mod:`~dreamlib.cli.app` holds the parser and :func:`main`; :mod:`~dreamlib.cli.options` the options the
commands share; :mod:`~dreamlib.cli.dream`, :mod:`~dreamlib.cli.render` and :mod:`~dreamlib.cli.info` the
commands; :mod:`~dreamlib.cli.signals` how the program behaves toward its shell. Nothing here imports torch
until a command runs.
"""

from .app import main

__all__ = ["main"]
