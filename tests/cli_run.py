"""Run the ``vmag`` program in-process, as the CLI tests of every concern do."""

from __future__ import annotations

from vmag.cli.main import main


def run(capsys, *args: object) -> tuple[int, str, str]:
    """``vmag ARGS...``: (exit status, stdout, stderr)."""
    try:
        main([str(a) for a in args])
        code = 0
    except SystemExit as e:
        code = e.code or 0
    out = capsys.readouterr()
    return code, out.out, out.err
