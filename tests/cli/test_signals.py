"""How the program treats signals, in-process (dreamlib/cli/signals.py); tests/hostile/test_signals.py sends real
signals to the real program."""

from __future__ import annotations

import signal

import pytest

from dreamlib.cli.signals import Terminated, handled_signals, message


def test_in_process_callers_keep_their_ctrl_c_and_get_their_handlers_back():
    before = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    with handled_signals():
        assert signal.getsignal(signal.SIGINT) is before[signal.SIGINT]  # a notebook's or pytest's own
        with pytest.raises(Terminated) as caught:
            signal.raise_signal(signal.SIGTERM)
        assert caught.value.signum == signal.SIGTERM
    assert {s: signal.getsignal(s) for s in before} == before


def test_the_program_while_starting_up_handles_every_stopping_signal_and_restores_them_after():
    before = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    with handled_signals(program=True):
        assert all(signal.getsignal(s) is not before[s] for s in before)  # ends the program at once, one line
    assert {s: signal.getsignal(s) for s in before} == before


def test_messages():
    assert message(signal.SIGINT) == "error: interrupted"
    assert message(signal.SIGTERM) == "error: stopped by SIGTERM"
