"""The ``geocover`` command line: one module per subcommand."""
