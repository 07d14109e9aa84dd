"""The README's Python examples run as written."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_the_five_step_example_runs_as_written_and_learns(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)  # the saving example writes files
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)
    assert len(blocks) >= 2
    namespace: dict[str, object] = {}
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        for block in blocks:
            # Indented blocks (inside a list item) keep their indentation in Markdown.
            lines = block.splitlines()
            indent = min(len(line) - len(line.lstrip()) for line in lines if line.strip())
            exec("\n".join(line[indent:] for line in lines), namespace)
    largest_error = float(re.search(r"largest error ([\d.]+)", output.getvalue()).group(1))
    assert largest_error < 0.05
    assert {"best.lstmkit", "model.lstmkit", "training.csv"} <= {p.name for p in tmp_path.iterdir()}
