"""``python -m twin``: the ``twin`` command, for environments without the console script."""

from twin.cli import main

if __name__ == "__main__":
    main()
