"""``python -m dreamlib`` and the ``dreamlib`` script: the command line, with a Ctrl-C at any moment one clean line."""

import sys


def run() -> int:
    from .cli.signals import starting_up

    starting_up()  # the console script's first line (``python -m dreamlib`` is guarded from dreamlib/__init__.py on)
    from .cli import main

    return main(program=True)


if __name__ == "__main__":
    sys.exit(run())
