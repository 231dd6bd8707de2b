"""The ``geocover`` click group. Subcommands live in their own modules."""

from __future__ import annotations

import sys

import click

from .. import __version__
from ..errors import GeocoverError
from . import compare, coverage, distance, engage, footprint, horizon, los, optimise, sites, timeline, trajectory, vcd
from . import map as map_cmd


class _Group(click.Group):
    """Turns geocover's own errors into one message on stderr and exit status 2."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except GeocoverError as exc:
            click.echo(f"geocover: error: {exc}", err=True)
            sys.exit(2)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="geocover")
def cli() -> None:
    """Radar coverage and missile-defence footprint analysis on the WGS84 ellipsoid.

    Distances are metres unless a unit is given (300km, 2deg); heights are above mean
    sea level unless a name says otherwise.
    """


for _mod in (sites, horizon, distance, los, coverage, trajectory, timeline, footprint, engage, map_cmd, vcd, compare,
             optimise):
    cli.add_command(_mod.command)


def main() -> None:
    cli(prog_name="geocover")


if __name__ == "__main__":
    main()
