"""Files that must not load: truncated, corrupted, tampered with, oversized, or naming code to
run; and saves killed half-way."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import textwrap
import zipfile

import numpy as np
import pytest
from safetensors.numpy import save as save_arrays

from lstmkit import LSTM, Dense, Sequential
from lstmkit.models import load_model
from lstmkit.saving import ModelFileError

CALLS: list[str] = []


def trap(*args, **kwargs):
    """A callable a hostile file could name; it must never run."""
    CALLS.append("called")
    raise AssertionError("code named in a file was executed")


@pytest.fixture(scope="module")
def saved(tmp_path_factory) -> tuple[bytes, Sequential, np.ndarray]:
    path = tmp_path_factory.mktemp("saved") / "model.lstmkit"
    model = Sequential([LSTM(4, input_shape=(5, 2)), Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    x = np.random.default_rng(0).random((8, 5, 2)).astype("float32")
    y = np.eye(2, dtype="float32")[np.arange(8) % 2]
    model.fit(x, y, epochs=1, verbose=0)
    model.save(path)
    return path.read_bytes(), model, x


def _members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def _archive(members: dict[str, bytes], compression: int = zipfile.ZIP_STORED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _load(tmp_path, data: bytes, **kwargs):
    path = tmp_path / "suspect.lstmkit"
    path.write_bytes(data)
    return load_model(path, **kwargs)


def test_the_intact_file_loads(tmp_path, saved):
    data, model, x = saved
    np.testing.assert_array_equal(_load(tmp_path, data).predict(x), model.predict(x))


def test_every_truncation_is_refused(tmp_path, saved):
    data, _, _ = saved
    offsets = sorted({0, 1, 3, 8, 30, len(data) - 1, len(data) - 22, *range(0, len(data), 97)})
    for offset in offsets:
        with pytest.raises(ModelFileError, match=r"cannot load"):
            _load(tmp_path, data[:offset])


def test_a_corrupted_version_needed_in_the_central_directory_is_refused(tmp_path, saved):
    # zipfile raises NotImplementedError for it; the check for Keras's files once let it through.
    data, _, _ = saved
    corrupt = bytearray(data)
    entry = corrupt.index(b"PK\x01\x02")  # the first central-directory record
    corrupt[entry + 6] = 78  # "version needed to extract": 7.8
    with pytest.raises(ModelFileError, match=r"not a readable zip archive"):
        _load(tmp_path, bytes(corrupt))


def test_flipped_bytes_are_refused_or_harmless(tmp_path, saved):
    data, model, x = saved
    expected = model.predict(x)
    refused = 0
    positions = range(0, len(data), max(1, len(data) // 400))
    for position in positions:
        corrupt = bytearray(data)
        corrupt[position] ^= 0x5A
        try:
            loaded = _load(tmp_path, bytes(corrupt))
        except ModelFileError:
            refused += 1
            continue
        # A flip in a field nothing reads (a timestamp, an attribute) changes nothing.
        np.testing.assert_array_equal(loaded.predict(x), expected)
    assert refused >= 0.8 * len(positions)


def test_a_tensor_of_the_wrong_shape_is_refused(tmp_path, saved):
    data, _, _ = saved
    members = _members(data)
    members["weights.safetensors"] = save_arrays(
        {
            "0/kernel": np.zeros((3, 16), "float32"),
            "0/recurrent_kernel": np.zeros((4, 16), "float32"),
            "0/bias": np.zeros(16, "float32"),
            "1/kernel": np.zeros((4, 2), "float32"),
            "1/bias": np.zeros(2, "float32"),
        },
        metadata={"format": "lstmkit-model"},
    )
    with pytest.raises(ModelFileError, match=r"'0/kernel' should have shape \(2, 16\)"):
        _load(tmp_path, _archive(members))
    members["weights.safetensors"] = save_arrays(
        {"0/kernel": np.zeros((2, 16), "float64")}, metadata={"format": "lstmkit-model"}
    )
    with pytest.raises(ModelFileError, match=r"does not match the architecture"):
        _load(tmp_path, _archive(members))


def test_an_architecture_that_does_not_match_its_weights_is_refused_before_allocating(
    tmp_path, saved
):
    data, _, _ = saved
    members = _members(data)
    config = json.loads(members["model.json"])
    # A million units would need 16 TB for the recurrent kernel; the placeholders hold nothing
    # and the header check fails first.
    config["config"]["layers"][0]["config"]["units"] = 10**6
    members["model.json"] = json.dumps(config).encode()
    with pytest.raises(ModelFileError, match=r"should have shape \(2, 4000000\)"):
        _load(tmp_path, _archive(members))
    config["config"]["layers"][0]["config"]["units"] = 10**10
    members["model.json"] = json.dumps(config).encode()
    with pytest.raises(ModelFileError, match=r"architecture is invalid: .* is too large"):
        _load(tmp_path, _archive(members))


def test_a_zip_bomb_is_refused_without_inflating_it(tmp_path, saved):
    data, _, _ = saved
    members = _members(data)
    members["weights.safetensors"] = bytes(200 * 2**20)  # 200 MiB of zeros, ~200 KiB deflated
    bomb = _archive(members, compression=zipfile.ZIP_DEFLATED)
    assert len(bomb) < 2**20
    with pytest.raises(ModelFileError, match=r"compressed; lstmkit stores members uncompressed"):
        _load(tmp_path, bomb)


def test_a_forged_member_size_is_refused(tmp_path, saved):
    data, _, _ = saved
    corrupt = bytearray(data)
    # The central directory's uncompressed size of the first member, set to 4 GiB - 1.
    start = corrupt.rfind(b"PK\x01\x02", 0, len(corrupt))
    first = corrupt.find(b"PK\x01\x02")
    assert first <= start
    corrupt[first + 24 : first + 28] = (2**32 - 1).to_bytes(4, "little")
    with pytest.raises(ModelFileError, match=r"declares|corrupted"):
        _load(tmp_path, bytes(corrupt))


def test_oversized_files_and_json_are_refused(tmp_path, saved):
    data, _, _ = saved
    with pytest.raises(ModelFileError, match=r"more than max_bytes=1,000"):
        _load(tmp_path, data, max_bytes=1000)
    members = _members(data)
    members["model.json"] = b"[" * 100_000 + b"]" * 100_000
    with pytest.raises(ModelFileError, match=r"model.json is not valid JSON"):
        _load(tmp_path, _archive(members))
    members["model.json"] = b" " * (17 * 2**20)
    with pytest.raises(ModelFileError, match=r"more than the 16,777,216"):
        _load(tmp_path, _archive(members))


HOSTILE_NAMES = [
    "test_saving_files.trap",
    "tests.test_saving_files.trap",
    "os.system",
    "builtins.eval",
    "subprocess.Popen",
]


def _hostile_variants(members: dict[str, bytes], name: str) -> list[tuple[str, bytes]]:
    model = json.loads(members["model.json"])
    compile_config = json.loads(members["compile.json"])
    variants = []

    def variant(where: str, change) -> None:
        m, c = json.loads(json.dumps(model)), json.loads(json.dumps(compile_config))
        change(m, c)
        changed = dict(members, **{"model.json": json.dumps(m).encode()})
        changed["compile.json"] = json.dumps(c).encode()
        variants.append((where, _archive(changed)))

    def layer_class(m, c):
        m["config"]["layers"][0]["class_name"] = name

    def model_class(m, c):
        m["class_name"] = name

    def activation(m, c):
        m["config"]["layers"][0]["config"]["activation"] = name

    def activation_object(m, c):
        m["config"]["layers"][1]["config"]["activation"] = {
            "module": name.rpartition(".")[0],
            "class_name": name.rpartition(".")[2],
            "config": {},
        }

    def initializer(m, c):
        m["config"]["layers"][0]["config"]["kernel_initializer"] = {
            "class_name": name,
            "config": {},
        }

    def optimizer(m, c):
        c["optimizer"]["class_name"] = name

    def loss(m, c):
        c["loss"] = name

    def metric(m, c):
        c["metrics"] = [name]

    for change in (
        layer_class,
        model_class,
        activation,
        activation_object,
        initializer,
        optimizer,
        loss,
        metric,
    ):
        variant(change.__name__, change)
    return variants


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_a_file_naming_python_code_is_refused_and_nothing_runs(tmp_path, saved, name):
    data, _, _ = saved
    for where, hostile in _hostile_variants(_members(data), name):
        with pytest.raises(ModelFileError, match=r"cannot load") as error:
            _load(tmp_path, hostile)
        assert "Traceback" not in str(error.value), where
    # Even the names a user would pass must come through custom_objects, not the file.
    members = _members(data)
    model = json.loads(members["model.json"])
    model["config"]["layers"][0]["config"]["activation"] = {"__custom__": "trap"}
    members["model.json"] = json.dumps(model).encode()
    with pytest.raises(ModelFileError, match=r"custom object 'trap'"):
        _load(tmp_path, _archive(members))
    assert CALLS == []


def test_a_newer_format_and_a_foreign_zip_are_refused(tmp_path, saved):
    data, _, _ = saved
    members = _members(data)
    members["lstmkit.json"] = json.dumps(
        {"format": "lstmkit-model", "format_version": 9, "lstmkit_version": "9.0"}
    ).encode()
    with pytest.raises(ModelFileError, match=r"format version 9 .* upgrade lstmkit"):
        _load(tmp_path, _archive(members))
    # A zip with Keras's config.json goes to the Keras reader (load_model reads Keras files),
    # which names what is missing.
    with pytest.raises(ValueError, match=r"Keras 3 \.keras archive.*lacks model\.weights\.h5"):
        _load(tmp_path, _archive({"config.json": b"{}", "metadata.json": b"{}"}))
    with pytest.raises(ModelFileError, match=r"missing \['lstmkit.json'"):
        _load(tmp_path, _archive({"notes.txt": b"hello"}))
    with pytest.raises(ModelFileError, match=r"not a readable zip archive"):
        _load(tmp_path, b"just some text, not a model")


def test_a_corrupted_optimizer_state_is_refused(tmp_path, saved):
    data, _, _ = saved
    members = _members(data)
    state = json.loads(members["state.json"])
    state["optimizer"]["iterations"] = -3
    members["state.json"] = json.dumps(state).encode()
    with pytest.raises(ModelFileError, match=r"iterations must be a non-negative integer"):
        _load(tmp_path, _archive(members))


_CHILD = textwrap.dedent(
    """
    import sys, time
    import numpy as np
    from lstmkit import LSTM, Dense, Sequential
    from lstmkit.saving import files

    path, stage = sys.argv[1], sys.argv[2]
    model = Sequential([LSTM(64, input_shape=(5, 2)), Dense(1)])
    original_fsync = files._fsync

    def stall(fd):
        print("writing", flush=True)
        time.sleep(60)

    if stage == "before-sync":
        files._fsync = stall
    else:  # half-way through the archive's bytes
        real_write = files.os.fdopen

        def fdopen(fd, mode):
            handle = real_write(fd, mode)
            write = handle.write
            count = [0]

            def slow_write(data):
                count[0] += 1
                if count[0] == 3:
                    handle.flush()
                    print("writing", flush=True)
                    time.sleep(60)
                return write(data)

            handle.write = slow_write
            return handle

        files.os.fdopen = fdopen
    model.save(path)
    """
)


@pytest.mark.parametrize("stage", ["before-sync", "mid-write"])
def test_a_process_killed_during_save_leaves_the_old_file_loadable(tmp_path, stage):
    path = tmp_path / "model.lstmkit"
    old = Sequential([LSTM(3, input_shape=(5, 2)), Dense(1)])
    old.save(path)
    before = path.read_bytes()
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD, str(path), stage],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = child.stdout.readline()
        assert line.strip() == "writing", child.stderr.read()
        leftovers = [name for name in os.listdir(tmp_path) if name.endswith(".tmp")]
        assert leftovers and os.path.getsize(tmp_path / leftovers[0]) > 0
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    assert path.read_bytes() == before
    x = np.ones((2, 5, 2), "float32")
    np.testing.assert_array_equal(load_model(path).predict(x), old.predict(x))
    # The next save to the same path removes the killed one's temporary file.
    assert [name for name in os.listdir(tmp_path) if name.endswith(".tmp")] == leftovers
    old.save(path)
    assert [name for name in os.listdir(tmp_path) if name.endswith(".tmp")] == []
