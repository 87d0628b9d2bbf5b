"""``python -m dreamlib`` and the ``dreamlib`` script: a Ctrl-C even while the CLI is importing is one clean line."""

import sys


def run() -> int:
    previous = getattr(sys.modules.get("dreamlib"), "_previous_sigint", None)
    if previous is not None:  # the start-up handler of __init__.py: from here a Ctrl-C is a KeyboardInterrupt again
        import signal

        signal.signal(signal.SIGINT, previous)
    try:
        from .cli import main
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    return main()


if __name__ == "__main__":
    sys.exit(run())
