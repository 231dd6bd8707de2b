"""The ``geocover`` click group. Subcommands live in their own modules."""

from __future__ import annotations

import os
import signal
import sys


# ---------------------------------------------------------------------------- Ctrl-C
# Installed before click, numpy, numba or GDAL are imported (they take 1-2 s to load), so that
# an interrupt at any point prints one line and exits with status 130 (128 + SIGINT, what a
# shell reports), never a traceback. ``import geocover`` itself is light (PEP 562), so the
# handler is in place within milliseconds of the interpreter's start.
class _Interrupt:
    #: True while a subcommand runs: the first Ctrl-C then raises KeyboardInterrupt, so that
    #: every writer's ``finally``/``except`` removes its staging folder on the way out.
    running = False
    #: True once the first Ctrl-C was delivered to the running command.
    raised = False


def _say_interrupted() -> None:
    try:
        os.write(2, b"geocover: interrupted\n")
    except OSError:  # stderr closed: the exit status still says it
        pass


def _on_sigint(signum, frame) -> None:
    """SIGINT handler of the ``geocover`` command.

    Start-up (imports, option parsing): nothing is written yet, so print one line and exit
    130 (SystemExit prints no traceback). While a command runs: raise KeyboardInterrupt
    once, which the command group turns into the same line and status after the staged
    outputs were removed. A second Ctrl-C while that clean-up runs exits at once (130); a
    staging folder left then is removed by the next run (export.staged_output).
    """
    if _Interrupt.running and not _Interrupt.raised:
        _Interrupt.raised = True
        raise KeyboardInterrupt
    _say_interrupted()
    if _Interrupt.raised:
        os._exit(130)
    raise SystemExit(130)


def _install_interrupt_handler() -> None:
    """Install :func:`_on_sigint`, unless SIGINT is ignored (``nohup``, a background job of a
    script: the caller asked for that) or this is not the main thread (Python's own stays)."""
    try:
        if signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:
            signal.signal(signal.SIGINT, _on_sigint)
    except ValueError:
        pass


def _started_as_command() -> bool:
    """Whether this process is the ``geocover`` command (console script or ``python -m
    geocover``) rather than a program that imports this module (tests, docs builds): only the
    command gets the handler while this module's imports run; :func:`main` installs it anyway."""
    argv0 = sys.argv[0] if sys.argv else ""
    name = os.path.basename(argv0).lower()
    return name in ("geocover", "geocover.exe", "geocover-script.py") or (
        name == "__main__.py" and os.path.basename(os.path.dirname(argv0)) == "geocover")


if _started_as_command():
    _install_interrupt_handler()

import errno  # noqa: E402 (after the handler: these imports take seconds)

import click  # noqa: E402

from .. import __version__  # noqa: E402
from ..errors import GeocoverError  # noqa: E402
from . import (  # noqa: E402
    compare,
    coverage,
    distance,
    engage,
    footprint,
    horizon,
    links,
    los,
    optimise,
    raid,
    sites,
    timeline,
    trajectory,
    vcd,
)
from . import map as map_cmd  # noqa: E402
from . import robustness as robustness_cmd  # noqa: E402


def _printable(text: str) -> str:
    """A message that any terminal encoding can print (user text may hold odd characters) and
    that no terminal acts on: control characters from a file name or argument (ESC, BEL, C1)
    are shown as ``\\xNN``, never sent."""
    text = "".join(f"\\x{ord(c):02x}" if (ord(c) < 0x20 and c not in "\t\n") or 0x7F <= ord(c) <= 0x9F else c
                   for c in text)
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _os_message(exc: OSError) -> str:
    """'PATH: reason' for an operating-system failure (disk full, permission, I/O error)."""
    what = exc.strerror or str(exc) or type(exc).__name__
    names = [n for n in (exc.filename, exc.filename2) if n not in (None, "")]
    hint = ""
    if exc.errno == errno.ENOSPC:
        hint = " (the disk is full: free some space and run the command again)"
    elif exc.errno == errno.EDQUOT:
        hint = " (disk quota exceeded)"
    where = " -> ".join(_shorten(os.fsdecode(n) if isinstance(n, bytes) else str(n)) for n in names)
    return f"{where}: {what}{hint}" if where else f"{what}{hint}"


def _shorten(text: str, limit: int = 160) -> str:
    return text if len(text) <= limit else f"{text[:limit // 2]}...{text[-limit // 4:]} ({len(text)} characters)"


#: Operating-system errors that come from the paths a user typed (exit status 2, like any
#: other bad input); the others (a full disk, an I/O error) are faults of the machine (1).
_USER_ERRNOS = {errno.ENAMETOOLONG, errno.ENOENT, errno.ENOTDIR, errno.EISDIR, errno.ELOOP, errno.EACCES,
                errno.EPERM, errno.EROFS, errno.EEXIST}


class _Group(click.Group):
    """Turns geocover's own errors into one message on stderr and exit status 2, and an
    operating-system failure into one message naming the path: exit status 2 when it comes
    from a path the user gave (too long, missing, not permitted), 1 for a fault of the
    machine (a full disk, an I/O error). Never a traceback. Nothing half-written is left behind because
    every writer stages its files and renames them into place only when all are written."""

    def invoke(self, ctx: click.Context):
        try:
            _Interrupt.running = True
            return super().invoke(ctx)
        except KeyboardInterrupt:
            # the writers' finally/except clauses have removed their staging folders on the way
            _say_interrupted()
            sys.exit(130)
        except GeocoverError as exc:
            click.echo(f"geocover: error: {_printable(str(exc))}", err=True)
            sys.exit(2)
        except OSError as exc:
            if isinstance(exc, BrokenPipeError):  # `geocover sites | head`
                sys.exit(1)
            click.echo(f"geocover: error: {_printable(_os_message(exc))}", err=True)
            sys.exit(2 if exc.errno in _USER_ERRNOS else 1)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="geocover")
@click.option("-v", "--verbose", count=True, help="More log messages on stderr (-v: info, -vv: debug).")
@click.option("-q", "--quiet", is_flag=True, help="Only errors on stderr (no warnings).")
def cli(verbose: int, quiet: bool) -> None:
    """Radar coverage and missile-defence footprint analysis on the WGS84 ellipsoid.

    Distances are metres unless a unit is given (300km, 2deg); heights are above mean
    sea level unless a name says otherwise.
    """
    _configure_logging(verbose, quiet)


def _configure_logging(verbose: int, quiet: bool) -> None:
    """Log level for the ``geocover`` loggers: warning by default, -v info, -vv debug, -q error.

    With -q, Python warnings (e.g. terrain outside every DEM) go through logging too, so they
    are silenced with the rest.
    """
    import logging

    if quiet and verbose:
        raise click.UsageError("-q and -v contradict each other")
    level = logging.ERROR if quiet else {0: logging.WARNING, 1: logging.INFO}.get(verbose, logging.DEBUG)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("geocover: %(levelname)s: %(message)s"))
    for name in ("geocover", "py.warnings"):
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.setLevel(level)
        logger.propagate = False
    logging.captureWarnings(quiet)
    log = logging.getLogger("geocover")
    if log.isEnabledFor(logging.INFO):
        from .._kernels import use_numba
        from .._paths import cache_dir, data_dir

        log.info("geocover %s; data %s; cache %s; numba kernels %s", __version__, data_dir(), cache_dir(),
                 "on" if use_numba() else "off")


for _mod in (sites, horizon, distance, los, coverage, trajectory, timeline, footprint, engage, map_cmd, vcd, compare,
             optimise, raid, links, robustness_cmd):
    cli.add_command(_mod.command)


def main() -> None:
    """The ``geocover`` console script: Ctrl-C at any point prints ``geocover: interrupted``
    and exits with status 130."""
    _install_interrupt_handler()
    cli(prog_name="geocover")


if __name__ == "__main__":
    main()
