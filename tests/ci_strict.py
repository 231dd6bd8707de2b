"""pytest plugin: no silent skips in CI (issue 17).

When the environment variable ``CI`` is set (to anything but ``""``, ``0`` or ``false``),
a test or test module that would be *skipped because a tool or package is missing*
(chromium, Playwright, GDAL's command-line tools, numba, an import that fails) is reported
as a **failure** instead, so a broken install step in ``.ci/run`` cannot turn the browser,
GDAL and numba checks into green no-ops. Skips for other reasons (a platform convention,
say) stay skips. Locally, without ``CI``, nothing changes.

Loaded by ``tests/conftest.py``; usable on its own with ``-p ci_strict`` (tests/ on the path).
"""

from __future__ import annotations

import os
import re

import pytest

#: Skip reasons that mean "something the suite needs is not installed".
MISSING_TOOL = re.compile(r"chromium|playwright|gdal|ogrinfo|numba|not installed|could not import|"
                          r"no module named|not found on path", re.IGNORECASE)


def ci_enabled() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _reason(report) -> str:
    lr = report.longrepr
    if isinstance(lr, tuple) and len(lr) == 3:  # (file, line, "Skipped: reason")
        return str(lr[2])
    return str(lr)


def _fail_missing_tool_skip(report) -> None:
    if not (ci_enabled() and report.skipped and not hasattr(report, "wasxfail")):
        return
    reason = _reason(report)
    if MISSING_TOOL.search(reason):
        report.outcome = "failed"
        report.longrepr = (f"CI is set, and this test would have been skipped because something it needs is "
                           f"missing ({reason}); .ci/run must install it, so this is a failure, not a skip")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    _fail_missing_tool_skip(outcome.get_result())


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector):
    outcome = yield
    _fail_missing_tool_skip(outcome.get_result())  # module-level importorskip / skip
