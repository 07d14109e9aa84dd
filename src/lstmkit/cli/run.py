"""``lstmkit run SCRIPT.py [ARGS...]``: run a Keras script on lstmkit (see
:mod:`lstmkit.keras.hook`). The script's own arguments follow its name untouched; its output,
warnings and exit status are its own. A Keras name lstmkit lacks ends the run with one line,
``lstmkit run: keras.layers.X is not supported by lstmkit (script.py, line N)``, and status 1;
any other error prints Python's traceback, without lstmkit's own frames, and status 1."""

from __future__ import annotations

import sys
import traceback

__all__ = ["USAGE", "run_command"]

USAGE = """usage: lstmkit run SCRIPT.py [ARGS...]

Run a Keras script (Keras 1, 2 or 3; `import keras` or `from tensorflow import keras`) on
lstmkit, as `python SCRIPT.py ARGS...` would run it on Keras: its imports of keras,
tensorflow.keras and tf_keras give lstmkit's Keras namespace (lstmkit.keras). Anything lstmkit
does not support stops the script with a message naming it and the script's line."""


def run_command(argv: list[str]) -> int:
    """The exit status of ``lstmkit run`` with ``argv`` (the words after ``run``)."""
    if not argv or argv[0] in ("-h", "--help"):
        print(USAGE, file=sys.stdout if argv else sys.stderr)
        return 0 if argv else 2
    from lstmkit.keras._support import NOT_SUPPORTED
    from lstmkit.keras.hook import run_script

    path, args = argv[0], argv[1:]
    try:
        run_script(path, args)
    except SystemExit as exit_:
        code = exit_.code
        if code is None or isinstance(code, int):
            return int(code or 0)
        print(code, file=sys.stderr)
        return 1
    except FileNotFoundError as error:
        if error.filename is None and str(error).startswith("no such script"):
            print(f"lstmkit run: error: {error}", file=sys.stderr)
            return 2
        _print_script_traceback(error)
        return 1
    except NOT_SUPPORTED as error:
        print(str(error), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("lstmkit run: interrupted", file=sys.stderr)
        return 130
    except BaseException as error:
        _print_script_traceback(error)
        return 1
    return 0


def _print_script_traceback(error: BaseException) -> None:
    """Python's traceback of the script's error, starting at the script's frames."""
    tb = error.__traceback__
    # Drop the frames of lstmkit run itself (this module, the hook and runpy).
    while tb is not None and _is_runner(tb.tb_frame.f_code.co_filename):
        tb = tb.tb_next
    traceback.print_exception(type(error), error, tb, file=sys.stderr)


def _is_runner(filename: str) -> bool:
    return filename.endswith(
        ("lstmkit/cli/run.py", "lstmkit/keras/hook.py", "runpy.py", "<frozen runpy>")
    )
