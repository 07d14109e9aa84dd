"""The container every lstmkit file is: a zip of stored (uncompressed) JSON and safetensors
members, written atomically, whose ``lstmkit.json`` names its format; and every check reading one
makes before anything is allocated — the file's size, the archive's structure (member names, no
duplicates, stored sizes within the file and within limits), JSON that refuses ``NaN`` and
``Infinity``, and each safetensors header against the names, dtypes and shapes the caller
expects. Failures raise :class:`ModelFileError` naming the file and what was wrong.

:mod:`lstmkit.saving.model_file` (models) and :mod:`lstmkit.saving.forecaster_file` (fitted
forecasters) are the formats built on it (:data:`FORMATS`).
"""

from __future__ import annotations

import io
import json
import math
import os
import zipfile
import zlib
from typing import Any, BinaryIO

import torch
from safetensors import SafetensorError
from safetensors.torch import load as load_tensors
from safetensors.torch import save as save_tensors

from lstmkit._version import __version__
from lstmkit.saving.files import atomic_write

__all__ = [
    "DEFAULT_MAX_BYTES",
    "FORMATS",
    "MAX_JSON_BYTES",
    "UNREADABLE_ZIP",
    "ModelFileError",
    "archive_header",
    "check_format",
    "check_tensor_header",
    "dump_json",
    "expect",
    "load_json",
    "open_archive",
    "read_file",
    "read_tensors",
    "refuse_keras",
    "tensor_bytes",
    "write_archive",
]

#: Files larger than this are refused before they are opened (``max_bytes=`` raises it).
DEFAULT_MAX_BYTES = 4 * 2**30
#: JSON members larger than this are refused before they are read.
MAX_JSON_BYTES = 16 * 2**20
_HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
_DTYPES = {
    "F32": (torch.float32, 4),
    "F64": (torch.float64, 8),
    "U8": (torch.uint8, 1),
    "I64": (torch.int64, 8),
}
#: lstmkit's archive formats: the file's noun, what it holds, and the function that loads it.
FORMATS = {
    "lstmkit-model": ("model", "a model", "lstmkit.models.load_model(path)"),
    "lstmkit-forecaster": (
        "forecaster",
        "a fitted Forecaster",
        "lstmkit.forecast.load_forecaster(path) (its network is the .model_ of what that returns)",
    ),
}


class ModelFileError(ValueError):
    """A file that lstmkit cannot load: not an lstmkit file, truncated, corrupted, tampered with,
    too large, or naming a custom object that was not passed in ``custom_objects``."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"cannot load {path!r}: {reason}")
        self.path = path
        self.reason = reason


#: What ``zipfile.ZipFile`` raises for bytes that are not a readable zip archive (a corrupted
#: "version needed to extract" field gives NotImplementedError).
UNREADABLE_ZIP = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    ValueError,
    EOFError,
    NotImplementedError,
)


def dump_json(value: Any) -> bytes:
    return json.dumps(value, indent=1, sort_keys=False, allow_nan=False).encode("utf-8")


def load_json(data: bytes, path: str, member: str) -> Any:
    try:
        return json.loads(data.decode("utf-8"), parse_constant=_refuse_constant)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError, ValueError) as error:
        raise ModelFileError(path, f"{member} is not valid JSON ({error})") from None


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not allowed")


def expect(condition: bool, path: str, reason: str) -> None:
    if not condition:
        raise ModelFileError(path, reason)


def _zip_member(archive: zipfile.ZipFile, name: str, data: bytes) -> None:
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_STORED
    info.external_attr = 0o644 << 16
    archive.writestr(info, data)


def archive_header(format: str, version: int) -> tuple[str, bytes]:
    """The ``lstmkit.json`` member naming an archive's format and version."""
    return (
        "lstmkit.json",
        dump_json({"format": format, "format_version": version, "lstmkit_version": __version__}),
    )


def write_archive(path: str, members: list[tuple[str, bytes]]) -> None:
    """Write ``members`` as one zip of stored (uncompressed) members to ``path``, atomically."""

    def write(file: BinaryIO) -> None:
        with zipfile.ZipFile(file, "w", compression=zipfile.ZIP_STORED) as archive:
            for name, data in members:
                _zip_member(archive, name, data)

    atomic_write(path, write)


def tensor_bytes(tensors: dict[str, torch.Tensor], metadata: dict[str, str]) -> bytes:
    return save_tensors(
        {key: value.detach().cpu().contiguous() for key, value in tensors.items()},
        metadata=metadata,
    )


def read_file(path: str, max_bytes: int) -> bytes:
    if not os.path.exists(path):
        raise FileNotFoundError(f"no such file: {path!r}")
    if os.path.isdir(path):
        raise ModelFileError(path, "it is a directory, not a model file")
    size = os.path.getsize(path)
    expect(
        size <= max_bytes,
        path,
        f"the file has {size:,} bytes, more than max_bytes={max_bytes:,}; pass a larger "
        "max_bytes if you trust it",
    )
    with open(path, "rb") as file:
        return file.read(max_bytes + 1)


def refuse_keras(path: str, data: bytes, names: list[str] | None = None) -> None:
    if data.startswith(_HDF5_MAGIC) or (names is not None and "config.json" in names):
        kind = "an HDF5 (.h5) file" if data.startswith(_HDF5_MAGIC) else "a Keras .keras archive"
        raise ModelFileError(
            path,
            f"this is {kind}, which Keras writes; lstmkit reads it with "
            "lstmkit.models.load_keras_model(path)",
        )


def open_archive(
    path: str,
    data: bytes,
    *,
    format: str,
    required: tuple[str, ...],
    optional: tuple[str, ...],
) -> dict[str, bytes]:
    """The members of an lstmkit archive of ``format``, after checking its structure: members
    named ``required`` and ``optional`` only, each stored, unencrypted and within limits. An
    archive of another of lstmkit's formats is refused with the function that loads it."""
    noun = FORMATS[format][0]
    refuse_keras(path, data)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except UNREADABLE_ZIP as error:
        raise ModelFileError(
            path, f"not an lstmkit {noun} file (not a readable zip archive: {error})"
        ) from None
    with archive:
        infos = archive.infolist()
        names = [info.filename for info in infos]
        refuse_keras(path, data, names)
        expect(len(set(names)) == len(names), path, "the archive lists a member twice")
        if "lstmkit.json" in names:
            info = infos[names.index("lstmkit.json")]
            _refuse_other_format(path, _read_member(archive, info, path, len(data)), format)
        missing = [name for name in required if name not in names]
        expect(not missing, path, f"not an lstmkit {noun} file: missing {missing}")
        unknown = sorted(set(names) - set(required) - set(optional))
        expect(not unknown, path, f"unexpected members in the archive: {unknown[:5]}")
        return {info.filename: _read_member(archive, info, path, len(data)) for info in infos}


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, path: str, size: int) -> bytes:
    """One member's bytes, once its header says it is stored, unencrypted and within limits."""
    name = info.filename
    expect(
        info.compress_type == zipfile.ZIP_STORED,
        path,
        f"{name} is compressed; lstmkit stores members uncompressed (a tampered file?)",
    )
    expect(not info.flag_bits & 0x1, path, f"{name} is encrypted")
    expect(
        info.file_size == info.compress_size and info.file_size <= size,
        path,
        f"{name} declares {info.file_size:,} bytes in a {size:,}-byte file",
    )
    if name.endswith(".json"):
        expect(
            info.file_size <= MAX_JSON_BYTES,
            path,
            f"{name} has {info.file_size:,} bytes, more than the "
            f"{MAX_JSON_BYTES:,} a configuration may have",
        )
    try:
        return archive.read(info)
    except (
        zipfile.BadZipFile,
        zlib.error,
        OSError,
        EOFError,
        ValueError,
        NotImplementedError,
    ) as error:
        raise ModelFileError(path, f"{name} is corrupted or truncated ({error})") from None


def _refuse_other_format(path: str, header: bytes, format: str) -> None:
    """Refuse an archive whose ``lstmkit.json`` names another of lstmkit's formats, saying
    which function loads it. An unreadable or unknown header is left to :func:`check_format`."""
    try:
        meta = json.loads(header.decode("utf-8"), parse_constant=_refuse_constant)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError, ValueError):
        return
    other = meta.get("format") if isinstance(meta, dict) else None
    if isinstance(other, str) and other != format and other in FORMATS:
        _, holds, loader = FORMATS[other]
        raise ModelFileError(
            path, f"it holds {holds}, not {FORMATS[format][1]}; load it with {loader}"
        )


def check_format(members: dict[str, bytes], path: str, format: str, version: int) -> None:
    """Check that ``lstmkit.json`` names ``format`` at a version up to ``version``."""
    meta = load_json(members["lstmkit.json"], path, "lstmkit.json")
    expect(
        isinstance(meta, dict) and meta.get("format") == format,
        path,
        f"not an lstmkit {FORMATS[format][0]} file (lstmkit.json does not name the format)",
    )
    found = meta.get("format_version")
    expect(
        isinstance(found, int) and not isinstance(found, bool) and found >= 1,
        path,
        f"unknown format_version {found!r}",
    )
    expect(
        found <= version,
        path,
        f"it was written in format version {found} by lstmkit {meta.get('lstmkit_version')}; "
        f"this lstmkit reads up to version {version}: upgrade lstmkit",
    )


def check_tensor_header(
    data: bytes, expected: dict[str, tuple[torch.dtype, tuple[int, ...]]], path: str, member: str
) -> dict[str, str]:
    """Check a safetensors buffer's header against ``expected`` (name → dtype, shape) before
    any tensor is made; return its metadata."""
    expect(len(data) >= 8, path, f"{member} is truncated")
    length = int.from_bytes(data[:8], "little")
    expect(
        length <= min(len(data) - 8, MAX_JSON_BYTES), path, f"{member} has a corrupt header length"
    )
    header = load_json(data[8 : 8 + length], path, member)
    expect(isinstance(header, dict), path, f"{member} has a malformed header")
    metadata = header.pop("__metadata__", {}) or {}
    expect(
        isinstance(metadata, dict) and all(isinstance(v, str) for v in metadata.values()),
        path,
        f"{member} has malformed metadata",
    )
    missing = sorted(set(expected) - set(header))
    extra = sorted(set(header) - set(expected))
    expect(
        not missing and not extra,
        path,
        f"{member} does not match the architecture: missing {missing[:5]}, unexpected {extra[:5]}",
    )
    body = len(data) - 8 - length
    for name, (dtype, shape) in expected.items():
        entry = header[name]
        expect(
            isinstance(entry, dict) and set(entry) == {"dtype", "shape", "data_offsets"},
            path,
            f"{member}: malformed entry for {name!r}",
        )
        code, got_shape, offsets = entry["dtype"], entry["shape"], entry["data_offsets"]
        expect(
            code in _DTYPES and _DTYPES[code][0] == dtype,
            path,
            f"{member}: {name!r} should be {dtype}; the file has {code!r}",
        )
        expect(
            isinstance(got_shape, list)
            and all(isinstance(d, int) and not isinstance(d, bool) for d in got_shape)
            and tuple(got_shape) == tuple(shape),
            path,
            f"{member}: {name!r} should have shape {tuple(shape)}; the file has {got_shape}",
        )
        expect(
            isinstance(offsets, list)
            and len(offsets) == 2
            and all(isinstance(o, int) and not isinstance(o, bool) for o in offsets)
            and 0 <= offsets[0] <= offsets[1] <= body
            and offsets[1] - offsets[0] == math.prod(shape) * _DTYPES[code][1],
            path,
            f"{member}: {name!r} has data offsets {offsets} outside its {body:,}-byte body",
        )
    return metadata


def read_tensors(data: bytes, path: str, member: str) -> dict[str, torch.Tensor]:
    try:
        return load_tensors(data)
    except (SafetensorError, ValueError, RuntimeError) as error:
        raise ModelFileError(path, f"{member} is corrupted ({error})") from None
