"""Where lstmkit computes: the current device, chosen once and read when a model is built.

The current device is, in this order:

1. the one given to :func:`set_device` (``"cpu"``, ``"cuda"``, ``"cuda:1"``, ``"mps"`` or a
   ``torch.device``);
2. else the environment variable ``LSTMKIT_DEVICE``, with the same spellings (read at each
   :func:`get_device`, so a process started with it set needs no code);
3. else ``cuda:0`` when PyTorch sees a CUDA GPU (``torch.cuda.is_available()``); under
   torchrun, ``cuda:LOCAL_RANK`` (modulo the GPUs seen), one GPU per process of a machine;
4. else the CPU.

A model takes the current device when it is built (its weights are created, or loaded, there)
and keeps it: ``fit``, ``evaluate`` and ``predict`` move their data once per call to the device
of the model's weights, whatever the current device is by then. Calling :func:`set_device`
later affects only models built later. Saved files hold no device: saving copies to the host,
loading places the weights on the current device.

This module imports only torch, so every layer of lstmkit may read it.
"""

from __future__ import annotations

import os
import re

import torch

__all__ = ["ENVIRONMENT_VARIABLE", "get_device", "resolve_device", "set_device"]

#: The environment variable read when :func:`set_device` has not been called.
ENVIRONMENT_VARIABLE = "LSTMKIT_DEVICE"

_EXPECTED = "'cpu', 'cuda', 'cuda:N' (N a GPU index), 'mps' or a torch.device"
_SPELLING = re.compile(r"(cpu|mps|cuda)(?::(\d+))?")

#: What :func:`set_device` was given, resolved; ``None``: not called (or reset).
_chosen: torch.device | None = None


def _cuda_count() -> int:
    return torch.cuda.device_count() if torch.cuda.is_available() else 0


def _mps_available() -> bool:
    mps = getattr(torch.backends, "mps", None)
    return bool(mps is not None and mps.is_available())


def resolve_device(value: object, argument: str = "device") -> torch.device:
    """``value`` (a string or a ``torch.device``) as a ``torch.device`` this machine has.

    ``"cuda"`` becomes ``cuda:0``. Raises ValueError naming ``argument`` for a spelling lstmkit
    does not take (``"gpu"``, ``"cuda:x"``, ``"tpu"``) and for a device this machine does not have
    (``"cuda"`` without a CUDA GPU or with a CUDA-less PyTorch, ``"cuda:3"`` with two GPUs,
    ``"mps"`` off Apple silicon)."""
    if isinstance(value, torch.device):
        kind, index = value.type, value.index
        if kind not in ("cpu", "cuda", "mps"):
            raise ValueError(f"{argument} must be {_EXPECTED}; got torch.device({str(value)!r})")
    elif isinstance(value, str):
        match = _SPELLING.fullmatch(value.strip().lower())
        if match is None:
            raise ValueError(f"{argument} must be {_EXPECTED}; got {value!r}")
        kind = match.group(1)
        index = None if match.group(2) is None else int(match.group(2))
    else:
        raise ValueError(f"{argument} must be {_EXPECTED}; got {type(value).__name__} {value!r}")
    if kind == "cpu":
        if index not in (None, 0):
            raise ValueError(f"{argument}: the CPU has no index; got {value!r}, expected 'cpu'")
        return torch.device("cpu")
    if kind == "mps":
        if index not in (None, 0):
            raise ValueError(f"{argument}: there is one MPS device; got {value!r}, expected 'mps'")
        if not _mps_available():
            raise ValueError(
                f"{argument}={value!r} needs Apple's Metal (MPS) backend, which this PyTorch "
                "does not see on this machine (torch.backends.mps.is_available() is False); "
                "use 'cpu'"
            )
        return torch.device("mps")
    count = _cuda_count()
    if count == 0:
        build = torch.version.cuda
        why = (
            "this PyTorch is built without CUDA (torch.version.cuda is None)"
            if build is None
            else f"PyTorch (CUDA {build}) sees no GPU (torch.cuda.is_available() is False)"
        )
        raise ValueError(f"{argument}={value!r} needs a CUDA GPU, but {why}; use 'cpu'")
    index = 0 if index is None else index
    if index >= count:
        raise ValueError(
            f"{argument}={value!r}: this machine has {count} CUDA device"
            f"{'s' if count > 1 else ''} (cuda:0 to cuda:{count - 1})"
        )
    return torch.device("cuda", index)


def set_device(device: str | torch.device | None) -> torch.device:
    """Make ``device`` the current device for models built from now on; returns it as a
    ``torch.device``. ``None`` goes back to the automatic choice (``LSTMKIT_DEVICE``, else the
    first CUDA GPU, else the CPU). Models already built stay where they are."""
    global _chosen
    _chosen = None if device is None else resolve_device(device, "device")
    return get_device()


def get_device() -> torch.device:
    """The current device: the one of :func:`set_device`, else ``LSTMKIT_DEVICE``, else
    ``cuda:0`` when a CUDA GPU is present (``cuda:LOCAL_RANK`` under torchrun), else the
    CPU."""
    if _chosen is not None:
        return _chosen
    value = os.environ.get(ENVIRONMENT_VARIABLE, "").strip()
    if value:
        return resolve_device(value, ENVIRONMENT_VARIABLE)
    if torch.cuda.is_available():
        # Under torchrun each process of a machine takes a GPU of its own, cuda:LOCAL_RANK
        # (NCCL needs one device per process); otherwise the first.
        local = os.environ.get("LOCAL_RANK", "").strip()
        return torch.device("cuda", int(local) % _cuda_count() if local.isdigit() else 0)
    return torch.device("cpu")
