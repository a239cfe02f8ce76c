"""``python -m vmag`` runs the command-line program."""

from vmag.cli import main

if __name__ == "__main__":
    main()
