"""The ``geocover`` click group. Subcommands live in their own modules."""

from __future__ import annotations

import os
import sys

from .._interrupt import EXIT_INTERRUPTED, install, running, say_interrupted, started_as_command

# Ctrl-C: one line and exit status 130 at any point (geocover._interrupt). geocover/__init__.py
# installs the handler first thing when this process is the command; again here, before click,
# numpy, numba and GDAL load, in case the package was imported by something else first.
if started_as_command():
    install()

import copy
import errno
import re

import click

from .. import __version__
from ..errors import PATH_CHARS, GeocoverError, shown, tidy_message
from ..units import non_ascii_digit
from . import (
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
from . import map as map_cmd
from . import robustness as robustness_cmd
from .options import ModelType


def _printable(text: str) -> str:
    """A message that any terminal encoding can print (user text may hold odd characters), that
    no terminal acts on and that stays readable: control characters from a file name or argument
    (ESC, BEL, C1) shown as ``\\xNN``, never sent, and overlong words cut
    (:func:`geocover.errors.tidy_message`)."""
    return tidy_message(text)  # lone surrogates (undecodable bytes of a name) come out as \udcXX too


def _os_message(exc: OSError) -> str:
    """'PATH: reason' for an operating-system failure (disk full, permission, I/O error)."""
    what = exc.strerror or str(exc) or type(exc).__name__
    names = [n for n in (exc.filename, exc.filename2) if n not in (None, "")]
    hint = ""
    if exc.errno == errno.ENOSPC:
        hint = " (the disk is full: free some space and run the command again)"
    elif exc.errno == errno.EDQUOT:
        hint = " (disk quota exceeded)"
    where = " -> ".join(shown(os.fsdecode(n) if isinstance(n, bytes) else str(n), PATH_CHARS) for n in names)
    return f"{where}: {what}{hint}" if where else f"{what}{hint}"


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

    def make_context(self, info_name, args, parent=None, **extra):
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except click.ClickException as exc:
            raise _tidy_click(exc) from None

    def invoke(self, ctx: click.Context):
        from ..export import track_inputs

        track_inputs()  # no output of this command replaces a file it read (export.note_input)
        try:
            running()
            return super().invoke(ctx)
        except click.ClickException as exc:  # a usage error of a subcommand (bad option value ...)
            raise _tidy_click(exc) from None
        except KeyboardInterrupt:
            # the writers' finally/except clauses have removed their staging folders on the way
            _quiet_cluster_shutdown()
            say_interrupted()
            sys.exit(EXIT_INTERRUPTED)
        except GeocoverError as exc:
            click.echo(f"geocover: error: {_printable(str(exc))}", err=True)
            sys.exit(2)
        except OSError as exc:
            if isinstance(exc, BrokenPipeError):  # `geocover sites | head`
                sys.exit(1)
            click.echo(f"geocover: error: {_printable(_os_message(exc))}", err=True)
            sys.exit(2 if exc.errno in _USER_ERRNOS else 1)
        finally:
            track_inputs(False)


def _tidy_click(exc: click.ClickException) -> click.ClickException:
    """Click's own error (no such option, bad value, missing argument) with its message made
    safe like every geocover message: control characters escaped, an overlong value cut
    (:func:`geocover.errors.tidy_message`); click prints it and exits with status 2."""
    exc.message = tidy_message(exc.message)
    return exc


def _quiet_cluster_shutdown() -> None:
    """After Ctrl-C, stop a local Dask cluster (``optimise``) now and quietly.

    A cluster interrupted while its workers start cannot close cleanly: Dask's own exit
    handler then prints an assertion traceback and asyncio logs 'Nanny failed to start'. The
    user asked to stop, so its loggers are silenced and its exit handler is run here, once.
    """
    spec = sys.modules.get("distributed.deploy.spec")
    if spec is None:
        return
    import atexit
    import contextlib
    import io
    import logging

    for name in ("distributed", "asyncio", "tornado"):
        logging.getLogger(name).setLevel(logging.CRITICAL + 1)
    close = getattr(spec, "close_clusters", None)
    if close is not None:
        with contextlib.suppress(Exception), contextlib.redirect_stderr(io.StringIO()):
            close()
        atexit.unregister(close)


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
    from .._threads import engine_threads

    engine_threads()  # a bad GEOCOVER_THREADS stops every command here, whatever its scheduler


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

    class Tidy(logging.Formatter):  # a warning may name a user's file: made harmless like every message
        def format(self, record):
            return tidy_message(super().format(record))

    handler.setFormatter(Tidy("geocover: %(levelname)s: %(message)s"))
    for name in ("geocover", "py.warnings"):
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.setLevel(level)
        logger.propagate = False
    logging.captureWarnings(quiet)
    import warnings

    if not getattr(warnings.formatwarning, "tidy", False):  # a warning may name a DEM file: made harmless too
        plain = warnings.formatwarning

        def tidy_warning(*args, **kwargs):
            return tidy_message(plain(*args, **kwargs))

        tidy_warning.tidy = True
        warnings.formatwarning = tidy_warning
    log = logging.getLogger("geocover")
    if log.isEnabledFor(logging.INFO):
        from .._kernels import use_numba
        from .._paths import cache_dir, data_dir

        log.info("geocover %s; data %s; cache %s; numba kernels %s", __version__, data_dir(), cache_dir(),
                 "on" if use_numba() else "off")


for _mod in (sites, horizon, distance, los, coverage, trajectory, timeline, footprint, engage, map_cmd, vcd, compare,
             optimise, raid, links, robustness_cmd):
    cli.add_command(_mod.command)


def _refusing_non_ascii_digits(param_type: click.ParamType, applies=lambda value: True) -> click.ParamType:
    """``param_type`` refusing a string value (for which ``applies(value)``) that holds
    non-ASCII digits; a subclass, so that click's help still shows ranges such as
    ``[1<=x<=1000]``."""
    base = type(param_type)

    def convert(self, value, param, ctx):
        if isinstance(value, str) and applies(value):
            bad = non_ascii_digit(value)
            if bad:
                self.fail(bad, param, ctx)
        return base.convert(self, value, param, ctx)

    cls = type(base.__name__, (base,), {"convert": convert, "ascii_digits_only": True, "__module__": base.__module__,
                                        "__doc__": base.__doc__})
    out = copy.copy(param_type)
    out.__class__ = cls
    return out


def _ascii_only(param_type: click.ParamType) -> click.ParamType:
    """``param_type`` refusing numbers typed with non-ASCII digits (click converts with
    ``int()``/``float()``, which read ``'３'`` or ``'٣'`` as 3)."""
    return _refusing_non_ascii_digits(param_type)


#: A text value that is a number or a list of numbers (``--bbox 30,30,40,40``, ``--candidates``,
#: ``lat,lon``): digits of any script, signs, points, commas, exponents, spaces.
_NUMBERS_RE = re.compile(r"^[\s\d.,:;+\-eE]*\d[\s\d.,:;+\-eE]*$")


def _ascii_number_text(param_type: click.ParamType) -> click.ParamType:
    """A text type (ids, file names, boxes) refusing a value that is only numbers written with
    non-ASCII digits (``--bbox ３０,３０,４０,４０``, which ``float()`` would read); other text,
    names in any script included, passes unchanged."""
    return _refusing_non_ascii_digits(param_type, lambda value: bool(_NUMBERS_RE.match(value)))


def _numbers_in_ascii(command: click.Command) -> None:
    """Every number-typed option and argument of ``command`` and its subcommands reads ASCII
    digits only (:func:`geocover.units.non_ascii_digit`), and so does every text one whose value
    is only numbers (boxes, lat,lon); quantities (``300km``) already do."""
    for param in command.params:
        if getattr(param.type, "ascii_digits_only", False):
            continue
        if isinstance(param.type, (click.types.IntParamType, click.types.FloatParamType, ModelType)):
            param.type = _ascii_only(param.type)
        elif type(param.type) is click.types.StringParamType:
            param.type = _ascii_number_text(param.type)
    for sub in getattr(command, "commands", {}).values():
        _numbers_in_ascii(sub)


_numbers_in_ascii(cli)


def main() -> None:
    """The ``geocover`` console script: Ctrl-C at any point prints ``geocover: interrupted``
    and exits with status 130."""
    install()
    cli(prog_name="geocover")


if __name__ == "__main__":
    main()
