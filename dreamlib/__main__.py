"""``python -m dreamlib`` and the ``dreamlib`` script: the command line, with a Ctrl-C at any moment one clean line.

That holds from the first line of :func:`run` (Python's own start-up, before any of the program's code, is Python's).
"""

import sys


def run() -> int:
    from .cli.signals import starting_up

    starting_up()  # the first line of both: importing dreamlib elsewhere leaves every signal handler alone
    from .cli import main

    return main(program=True)


if __name__ == "__main__":
    sys.exit(run())
