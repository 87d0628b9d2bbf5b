"""``python -m dreamlib`` and the ``dreamlib`` script: a Ctrl-C even while the CLI is importing is one clean line."""

import sys


def run() -> int:
    try:
        from .cli import main
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    return main()


if __name__ == "__main__":
    sys.exit(run())
