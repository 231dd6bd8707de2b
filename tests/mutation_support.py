"""Test-session support for mutation testing (scripts/mutation.sh, docs/mutation.md).

mutmut 3 runs the selected tests once (its statistics pass), then forks one worker per
mutant from that process. Anything geocover caches with ``functools.lru_cache`` (the CRPL
ray tables per antenna height, the geoid grid, the DEM stack) was filled before the fork,
so a mutant in the code that builds it would never run and would "survive". Under mutmut
(``MUTANT_UNDER_TEST`` set) every geocover cache is emptied before each test. Outside
mutmut this fixture does nothing.
"""

from __future__ import annotations

import os
import sys

import pytest


@pytest.fixture(autouse=True)
def _fresh_geocover_caches_under_mutmut():
    if os.environ.get("MUTANT_UNDER_TEST"):
        for name, mod in list(sys.modules.items()):
            if name == "geocover" or name.startswith("geocover."):
                for obj in list(vars(mod).values()):
                    clear = getattr(obj, "cache_clear", None)
                    if callable(clear):
                        clear()
    yield
