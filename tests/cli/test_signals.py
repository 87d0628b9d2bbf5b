"""How the program treats signals, in-process (dreamlib/cli/signals.py); tests/hostile/test_signals.py sends real
signals to the real program."""

from __future__ import annotations

import signal

import pytest

from dreamlib.cli.signals import STOPPING, Terminated, handled_signals, message


@pytest.fixture
def set_handlers():
    """Set signal handlers for one test (``{signum: handler}``) and put the ones the test run started with back
    after: pytest may itself run with a signal ignored (a script's ``make test &`` ignores SIGINT)."""
    saved = {getattr(signal, n): signal.getsignal(getattr(signal, n)) for n in STOPPING}

    def put(handlers: dict) -> None:
        for signum, handler in handlers.items():
            signal.signal(signum, handler)

    yield put
    put(saved)


def test_in_process_callers_keep_their_ctrl_c_and_get_their_handlers_back(set_handlers):
    set_handlers({signal.SIGINT: signal.default_int_handler, signal.SIGTERM: signal.SIG_DFL})
    before = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    with handled_signals():
        assert signal.getsignal(signal.SIGINT) is before[signal.SIGINT]  # a notebook's or pytest's own
        with pytest.raises(Terminated) as caught:
            signal.raise_signal(signal.SIGTERM)
        assert caught.value.signum == signal.SIGTERM
    assert {s: signal.getsignal(s) for s in before} == before


def test_the_program_while_starting_up_handles_every_stopping_signal_and_restores_them_after(set_handlers):
    set_handlers({signal.SIGINT: signal.default_int_handler, signal.SIGTERM: signal.SIG_DFL})
    before = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    with handled_signals(program=True):
        assert all(signal.getsignal(s) is not before[s] for s in before)  # ends the program at once, one line
    assert {s: signal.getsignal(s) for s in before} == before


@pytest.mark.skipif(not hasattr(signal, "SIGHUP"), reason="POSIX signals only")
@pytest.mark.parametrize("program", [False, True])
def test_a_signal_started_ignored_stays_ignored(set_handlers, program):
    """``nohup`` ignores SIGHUP; a script's ``command &`` ignores SIGINT: the program keeps that choice."""
    set_handlers({signal.SIGINT: signal.SIG_IGN, signal.SIGHUP: signal.SIG_IGN, signal.SIGTERM: signal.SIG_DFL})
    with handled_signals(program=program):
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN and signal.getsignal(signal.SIGHUP) is signal.SIG_IGN
        assert signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL  # the others are still handled
        signal.raise_signal(signal.SIGINT)  # nothing happens
    assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN and signal.getsignal(signal.SIGTERM) is signal.SIG_DFL


def test_messages():
    assert message(signal.SIGINT) == "error: interrupted"
    assert message(signal.SIGTERM) == "error: stopped by SIGTERM"
