"""``python -m lstmkit``: the ``lstmkit`` command."""

from lstmkit.cli import run

if __name__ == "__main__":
    run()
