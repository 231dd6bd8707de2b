"""``python -m geocover``: the same as the ``geocover`` command."""

from geocover.cli.main import main

if __name__ == "__main__":
    main()
