"""geocover's bundled data, installed as the ``geocover.data`` package (see ``README.md`` here).

This folder is mapped into the package by ``[tool.setuptools.package-dir]`` in
``pyproject.toml``; :mod:`geocover._paths` finds it with :mod:`importlib.resources`.
"""
