"""Ctrl-C for the ``geocover`` command: one line, exit status 130, never a traceback.

Standard library only, and imported first by ``geocover/__init__.py`` when this process is
the command (the console script or ``python -m geocover``), so that the handler is in place
before numpy, numba, GDAL and click load (1-2 s, longer on a busy machine). A program that
imports geocover (a notebook, a test runner, a docs build) keeps Python's own SIGINT
handling. Exit status 130 is 128 + SIGINT, what POSIX shells report for an interrupted job.
"""

from __future__ import annotations

import os
import signal
import sys

__all__ = ["EXIT_INTERRUPTED", "install", "running", "say_interrupted", "started_as_command", "worker_of_command"]

EXIT_INTERRUPTED = 130


class _State:
    #: True while a subcommand runs: the first Ctrl-C then raises KeyboardInterrupt, so that
    #: every writer's ``finally``/``except`` removes its staging folder on the way out.
    running = False
    #: True once the first Ctrl-C was delivered to the running command.
    raised = False


def say_interrupted() -> None:
    """Write ``geocover: interrupted`` to stderr (unbuffered; a closed stderr is ignored)."""
    try:
        os.write(2, b"geocover: interrupted\n")
    except OSError:  # stderr closed: the exit status still says it
        pass


def running() -> None:
    """From now on a Ctrl-C unwinds the command (KeyboardInterrupt) instead of exiting."""
    _State.running = True


def _on_sigint(signum, frame) -> None:
    """SIGINT handler of the ``geocover`` command.

    Start-up (imports, option parsing): nothing is written yet, so print one line and exit
    130 (SystemExit prints no traceback). While a command runs: raise KeyboardInterrupt
    once, which the command group turns into the same line and status after the staged
    outputs were removed. A second Ctrl-C while that clean-up runs exits at once (130); a
    staging folder left then is removed by the next run (export.staged_output).
    """
    if _State.running and not _State.raised:
        _State.raised = True
        raise KeyboardInterrupt
    say_interrupted()
    if _State.raised:
        os._exit(EXIT_INTERRUPTED)
    raise SystemExit(EXIT_INTERRUPTED)


def install() -> None:
    """Install the handler, unless SIGINT is ignored (``nohup``, a background job of a script:
    the caller asked for that) or this is not the main thread (Python's own stays)."""
    try:
        if signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:
            signal.signal(signal.SIGINT, _on_sigint)
    except ValueError:
        pass


def started_as_command() -> bool:
    """Whether this process is the ``geocover`` command: the console script, or ``python -m
    geocover`` (while the package imports, ``sys.argv[0]`` is still ``-m`` then)."""
    orig = list(getattr(sys, "orig_argv", ()))
    if any("multiprocessing" in a for a in orig):
        # a worker process (Dask's nanny spawns them) gets the parent's sys.argv but is not the
        # command: it gets no handler (see worker_of_command)
        return False
    argv0 = sys.argv[0] if sys.argv else ""
    name = os.path.basename(argv0).lower()
    if name in ("geocover", "geocover.exe", "geocover-script.py"):
        return True
    if name == "__main__.py" and os.path.basename(os.path.dirname(argv0)) == "geocover":
        return True
    return "-m" in orig[:-1] and orig[orig.index("-m") + 1] == "geocover"


def worker_of_command() -> bool:
    """Whether this process is a worker the ``geocover`` command spawned (a local Dask
    cluster's: ``multiprocessing`` on its command line, the command's ``sys.argv``).

    A terminal's Ctrl-C reaches every process of the job; the command itself stops the cluster
    when it unwinds, so its workers ignore SIGINT (the usual rule for process pools) instead of
    each printing a KeyboardInterrupt traceback from wherever it was.
    """
    orig = list(getattr(sys, "orig_argv", ()))
    name = os.path.basename(sys.argv[0] if sys.argv else "").lower()
    return any("multiprocessing" in a for a in orig) and name in ("geocover", "geocover.exe", "geocover-script.py")


def ignore_in_worker() -> None:
    """SIGINT ignored in a worker of the command (:func:`worker_of_command`)."""
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    except ValueError:
        pass
