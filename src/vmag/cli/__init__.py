"""The ``vmag`` command-line program."""
