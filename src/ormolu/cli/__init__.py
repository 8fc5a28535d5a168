"""The ``ormolu`` command line (``ormolu.cli.main``); needs the ``cli`` extra (click)."""

from __future__ import annotations


def main() -> None:
    """The console script: runs the command, or says how to install what it needs."""
    try:
        from .main import main as run
    except ImportError as exc:  # click is an optional dependency
        import sys

        sys.stderr.write(
            f"error: the ormolu command needs click ({exc}); install it with "
            f"pip install 'ormolu[cli]'\n"
        )
        raise SystemExit(2) from None
    run()
