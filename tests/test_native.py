"""The native LSTM kernel (lstmkit/_native/*.cpp through lstmkit.ops.native) against the
independent NumPy reference: outputs, and gradients against central finite differences of the
reference in float64 (the kernel computes in float32 only). Also: which path
``lstmkit.ops.recurrent`` chooses and that the chosen native path is the one that runs, the
fallback when the extension is not built, and the whole native training step of
``lstmkit.training.native_step`` against the regular step."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import reference
from lstmkit import activations, losses
from lstmkit.layers import GRU, LSTM, Dense
from lstmkit.models import Sequential
from lstmkit.ops import native
from lstmkit.ops import recurrent as ops
from lstmkit.optimizers import SGD, Adam
from lstmkit.training import native_step
from lstmkit.utils import set_random_seed

needs_native = pytest.mark.skipif(
    not native.available(),
    reason="native LSTM extension not built (pip install -e . or python setup.py build_ext "
    "--inplace, with a C++ compiler)",
)

SELU_ALPHA, SELU_SCALE = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946
ACTIVATIONS = ["tanh", "sigmoid", "hard_sigmoid", "relu", "linear", "softsign", "elu", "selu"]


@pytest.fixture(autouse=True)
def _reference_selu(monkeypatch: pytest.MonkeyPatch) -> None:
    # The reference lacks selu; its definition, written from the formula.
    monkeypatch.setitem(
        reference.NUMPY_ACTIVATIONS,
        "selu",
        lambda x: SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * np.expm1(np.minimum(x, 0.0))),
    )


def _problem(batch: int, timesteps: int, features: int, units: int, seed: int) -> dict:
    rng = np.random.default_rng(seed)

    def draw(*shape: int, scale: float = 1.0) -> np.ndarray:
        return (rng.normal(size=shape) * scale).astype(np.float32).astype(np.float64)

    return {
        "x": draw(batch, timesteps, features),
        "h0": draw(batch, units, scale=0.5),
        "c0": draw(batch, units, scale=0.5),
        "kernel": draw(features, 4 * units, scale=0.4),
        "recurrent_kernel": draw(units, 4 * units, scale=0.4),
        "bias": draw(4 * units, scale=0.3),
    }


NAMES = ["x", "h0", "c0", "kernel", "recurrent_kernel", "bias"]


def _reference_outputs(p: dict, input_mask: np.ndarray | None = None, **settings: object) -> tuple:
    x = p["x"] if input_mask is None else p["x"] * input_mask[:, None, :]
    return reference.lstm(
        x,
        p["kernel"],
        p["recurrent_kernel"],
        p["bias"],
        h0=p["h0"],
        c0=p["c0"],
        **settings,
    )


def _native_outputs(tensors: dict, act: str, rec: str, **settings: bool) -> tuple:
    return native.lstm(
        tensors["x"],
        tensors["h0"],
        tensors["c0"],
        tensors["kernel"],
        tensors["recurrent_kernel"],
        tensors["bias"],
        activation=activations.get(act),
        recurrent_activation=activations.get(rec),
        **settings,
    )


class _Spy:
    """Counts the calls of ``lstmkit.ops.native.lstm`` made by ``lstmkit.ops.recurrent``."""

    def __init__(self) -> None:
        self.calls = 0
        self.original = native.lstm

    def __call__(self, *args: object, **kwargs: object) -> tuple:
        self.calls += 1
        return self.original(*args, **kwargs)


def _check_against_reference(
    act: str,
    rec: str,
    go_backwards: bool,
    return_sequences: bool,
    batch: int = 7,
    timesteps: int = 6,
    seed: int = 0,
    via_ops: bool = False,
    input_dropout: bool = False,
    monkeypatch: pytest.MonkeyPatch | None = None,
) -> None:
    """Forward to 1e-5 and every gradient to 1e-5 of its scale, against the reference and its
    central differences in float64. ``via_ops``: through ``lstmkit.ops.recurrent.lstm`` with the
    path left to its selection, which must choose, and run, the native kernel; the initial state
    is given (as a stateful layer's) and ``input_dropout`` adds an input dropout mask."""
    p = _problem(batch, timesteps, 3, 4, seed)
    settings = {"go_backwards": go_backwards, "return_sequences": return_sequences}
    mask = None
    if input_dropout:
        keep = np.random.default_rng(seed + 2).random((batch, 3)) > 0.3
        mask = keep / 0.7
    expected = _reference_outputs(p, mask, activation=act, recurrent_activation=rec, **settings)
    tensors = {k: torch.tensor(v, dtype=torch.float32, requires_grad=True) for k, v in p.items()}
    if via_ops:
        assert monkeypatch is not None
        spy = _Spy()
        monkeypatch.setattr(ops.native, "lstm", spy)
        act_fn, rec_fn = activations.get(act), activations.get(rec)
        assert ops.select_lstm_path(act_fn, rec_fn, False, inputs=tensors["x"], units=4) == "native"
        got = ops.lstm(
            tensors["x"],
            tensors["h0"],
            tensors["c0"],
            tensors["kernel"],
            tensors["recurrent_kernel"],
            tensors["bias"],
            activation=act_fn,
            recurrent_activation=rec_fn,
            input_mask=None if mask is None else torch.tensor(mask, dtype=torch.float32),
            **settings,
        )
        assert spy.calls == 1
    else:
        got = _native_outputs(tensors, act, rec, **settings)
    for name, g, e in zip(["output", "h", "c"], got, expected, strict=True):
        scale = max(1.0, float(np.abs(e).max()))
        np.testing.assert_allclose(
            g.detach().numpy(), e, rtol=1e-5, atol=1e-5 * scale, err_msg=name
        )

    # A loss that weighs every output, h_T and c_T differently: sum(w * output) + ...
    rng = np.random.default_rng(seed + 1)
    weights = [rng.normal(size=e.shape) for e in expected]
    loss = sum(
        (g * torch.tensor(w, dtype=torch.float32)).sum() for g, w in zip(got, weights, strict=True)
    )
    grads = torch.autograd.grad(loss, [tensors[n] for n in NAMES])

    def sample_losses(q: dict) -> np.ndarray:
        """The loss of each sample, (batch,): samples are independent of each other."""
        outputs = _reference_outputs(q, mask, activation=act, recurrent_activation=rec, **settings)
        return sum(
            (o * w).reshape(batch, -1).sum(axis=1) for o, w in zip(outputs, weights, strict=True)
        )

    # Central differences. Per-sample tensors (x, h0, c0) perturb one column for every sample at
    # once and read each sample's own loss; the shared weights, one element at a time.
    step = 1e-6
    for name, grad in zip(NAMES, grads, strict=True):
        numeric = np.zeros_like(p[name])
        per_sample = name in ("x", "h0", "c0")
        shape = p[name].shape[1:] if per_sample else p[name].shape
        for index in np.ndindex(shape):
            where = (slice(None), *index) if per_sample else index
            q = {k: v.copy() for k, v in p.items()}
            q[name][where] += step
            up = sample_losses(q)
            q[name][where] -= 2 * step
            difference = (up - sample_losses(q)) / (2 * step)
            numeric[where] = difference if per_sample else difference.sum()
        # float32 arithmetic against float64 differences: 1e-5 of the gradient's own scale.
        scale = max(1.0, float(np.abs(numeric).max()))
        np.testing.assert_allclose(
            grad.numpy(), numeric, rtol=1e-5, atol=1e-5 * scale, err_msg=name
        )


@needs_native
@pytest.mark.parametrize("act", ACTIVATIONS)
@pytest.mark.parametrize("go_backwards", [False, True])
@pytest.mark.parametrize("return_sequences", [False, True])
def test_every_activation_matches_reference_forward_and_backward(
    act: str, go_backwards: bool, return_sequences: bool
) -> None:
    _check_against_reference(act, "sigmoid", go_backwards, return_sequences)


@needs_native
@pytest.mark.parametrize("rec", ACTIVATIONS)
def test_every_recurrent_activation_matches_reference(rec: str) -> None:
    _check_against_reference("tanh", rec, go_backwards=False, return_sequences=True, seed=2)


@needs_native
@pytest.mark.parametrize("batch", [1, 7])
@pytest.mark.parametrize("timesteps", [1, 9])
@pytest.mark.parametrize("act", ["tanh", "relu"])
def test_batch_and_timestep_edges_match_reference(batch: int, timesteps: int, act: str) -> None:
    _check_against_reference(act, "hard_sigmoid", True, timesteps > 1, batch, timesteps, seed=3)


@needs_native
def test_without_bias_and_from_zero_state_matches_reference() -> None:
    p = _problem(4, 6, 100, 8, seed=4)
    # One-hot inputs and zero states: the kernel skips zero rows, the result must not change.
    p["x"] = np.eye(100)[np.random.default_rng(5).integers(0, 100, (4, 6))]
    p["h0"][:] = 0
    p["c0"][:] = 0
    expected = reference.lstm(p["x"], p["kernel"], p["recurrent_kernel"], None, h0=p["h0"])
    tensors = {k: torch.tensor(v, dtype=torch.float32) for k, v in p.items()}
    tensors["bias"] = None
    got = _native_outputs(tensors, "tanh", "sigmoid", return_sequences=False)
    for g, e in zip(got, expected, strict=True):
        np.testing.assert_allclose(g.numpy(), e, rtol=1e-5, atol=1e-6)


@needs_native
def test_two_graphs_alive_at_once_keep_their_own_workspaces() -> None:
    # Two layers (or a step and another forward) hold workspaces of the same size at the same
    # time; backward in either order must give each its own gradients.
    p, q = _problem(3, 4, 5, 6, seed=6), _problem(3, 4, 5, 6, seed=7)
    tp = {k: torch.tensor(v, dtype=torch.float32, requires_grad=True) for k, v in p.items()}
    tq = {k: torch.tensor(v, dtype=torch.float32, requires_grad=True) for k, v in q.items()}
    out_p = _native_outputs(tp, "tanh", "sigmoid")[0].sum()
    out_q = _native_outputs(tq, "tanh", "sigmoid")[0].sum()
    grad_q = torch.autograd.grad(out_q, tq["recurrent_kernel"])[0]
    grad_p = torch.autograd.grad(out_p, tp["recurrent_kernel"])[0]
    alone_p = torch.autograd.grad(
        _native_outputs(tp, "tanh", "sigmoid")[0].sum(), tp["recurrent_kernel"]
    )[0]
    torch.testing.assert_close(grad_p, alone_p, rtol=0, atol=0)
    assert not torch.allclose(grad_p, grad_q)


@needs_native
def test_matches_the_torch_fused_kernel_for_tanh_sigmoid() -> None:
    p = _problem(5, 5, 100, 50, seed=8)
    tensors = {k: torch.tensor(v, dtype=torch.float32, requires_grad=True) for k, v in p.items()}
    got = _native_outputs(tensors, "tanh", "sigmoid", return_sequences=False)
    weights = [tensors["kernel"].t(), tensors["recurrent_kernel"].t(), tensors["bias"]]
    weights.append(torch.zeros_like(tensors["bias"]))
    _, h, c = torch.lstm(
        tensors["x"],
        (tensors["h0"][None], tensors["c0"][None]),
        weights,
        True,
        1,
        0.0,
        False,
        False,
        True,
    )
    torch.testing.assert_close(got[1], h[0], rtol=1e-5, atol=1e-6)
    params = [tensors[n] for n in NAMES]
    ours = torch.autograd.grad(got[1].sum() + got[2].sum(), params)
    theirs = torch.autograd.grad(h.sum() + c.sum(), params)
    for name, a, b in zip(NAMES, ours, theirs, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-5, msg=name)


@needs_native
def test_bad_input_names_the_argument_and_what_came() -> None:
    tensors = {k: torch.tensor(v, dtype=torch.float32) for k, v in _problem(2, 3, 4, 5, 9).items()}
    with pytest.raises(ValueError, match=r"recurrent_kernel must have shape \(5, 20\); got"):
        native.lstm(
            tensors["x"],
            tensors["h0"],
            tensors["c0"],
            tensors["kernel"],
            tensors["recurrent_kernel"][:, :16],
            tensors["bias"],
        )
    with pytest.raises(
        ValueError, match=r"needs float32 CPU tensors; got inputs as torch\.float64"
    ):
        native.lstm(
            tensors["x"].double(),
            tensors["h0"],
            tensors["c0"],
            tensors["kernel"],
            tensors["recurrent_kernel"],
            tensors["bias"],
        )
    with pytest.raises(ValueError, match=r"computes activation in tanh, sigmoid, .*; got"):
        native.lstm(
            tensors["x"],
            tensors["h0"],
            tensors["c0"],
            tensors["kernel"],
            tensors["recurrent_kernel"],
            tensors["bias"],
            activation=activations.gelu,
        )
    with pytest.raises(
        ValueError, match=r"3-D \(batch, timesteps, input_dim\); got shape \(2, 4\)"
    ):
        native.lstm(
            tensors["x"][:, 0],
            tensors["h0"],
            tensors["c0"],
            tensors["kernel"],
            tensors["recurrent_kernel"],
            tensors["bias"],
        )


@needs_native
def test_supports_names_the_activations_it_computes() -> None:
    assert native.supports(activations.relu, activations.hard_sigmoid)
    assert not native.supports(activations.gelu, activations.sigmoid)


@needs_native
@pytest.mark.parametrize(
    ("loss", "dense_activation", "stateful", "activation", "go_backwards"),
    [
        ("mean_squared_error", "linear", False, "tanh", False),
        ("mean_squared_error", "linear", True, "relu", True),
        ("categorical_crossentropy", "softmax", True, "tanh", False),
        ("binary_crossentropy", "sigmoid", False, "hard_sigmoid", False),
    ],
)
@needs_native
def test_the_training_step_engine_trains_as_lstmkit_does(
    loss: str, dense_activation: str, stateful: bool, activation: str, go_backwards: bool
) -> None:
    from lstmkit.layers import LSTM, Dense
    from lstmkit.models import Sequential
    from lstmkit.utils import set_random_seed

    batch, timesteps, features, units, outputs, steps = 5, 4, 6, 7, 3, 6
    set_random_seed(0)
    model = Sequential()
    shape = {"batch_input_shape": (batch, timesteps, features)} if stateful else {}
    model.add(
        LSTM(
            units,
            activation=activation,
            go_backwards=go_backwards,
            stateful=stateful,
            input_shape=None if stateful else (timesteps, features),
            **shape,
        )
    )
    model.add(Dense(outputs, activation=dense_activation))
    model.compile(optimizer="adam", loss=loss)
    rng = np.random.default_rng(1)
    X = rng.normal(size=(batch * steps, timesteps, features)).astype(np.float32)
    if loss == "mean_squared_error":
        y = rng.normal(size=(batch * steps, outputs)).astype(np.float32)
    elif loss == "categorical_crossentropy":
        y = np.eye(outputs, dtype=np.float32)[rng.integers(0, outputs, batch * steps)]
    else:
        y = (rng.random((batch * steps, outputs)) > 0.5).astype(np.float32)
    weights = [torch.tensor(w) for w in model.get_weights()]
    engine = native.LSTMStackStep(
        features,
        [native.StackLSTM(units, activations.get(activation), activations.sigmoid, go_backwards)],
        [native.StackDense(outputs, activations.get(dense_activation))],
        loss=loss,
        m=[torch.zeros_like(w) for w in weights],
        v=[torch.zeros_like(w) for w in weights],
    )
    history = model.fit(X, y, batch_size=batch, epochs=1, shuffle=False, verbose=0)
    state = [torch.zeros(batch, units), torch.zeros(batch, units)]
    losses = []
    for step, i in enumerate(range(0, batch * steps, batch), 1):
        final = [torch.empty(batch, units), torch.empty(batch, units)]
        losses.append(
            engine.train_step(
                torch.from_numpy(X[i : i + batch]),
                torch.from_numpy(y[i : i + batch]),
                weights,
                [],
                states=[*state, *final] if stateful else None,
                iteration=step,
                learning_rate=0.001,
            )
        )
        state = final
    for expected, got in zip(model.get_weights(), weights, strict=True):
        np.testing.assert_allclose(got.numpy(), expected, rtol=1e-5, atol=1e-6)
    assert np.mean(losses) == pytest.approx(history.history["loss"][0], rel=1e-5)


# -- the op path: lstmkit.ops.recurrent chooses the native kernel, and it runs -------------------

PAIRS = sorted({(act, "sigmoid") for act in ACTIVATIONS} | {("tanh", rec) for rec in ACTIVATIONS})


@needs_native
@pytest.mark.parametrize(("act", "rec"), PAIRS)
def test_ops_lstm_runs_the_native_path_for_every_activation_pair(
    act: str, rec: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _check_against_reference(
        act, rec, go_backwards=False, return_sequences=True, seed=10, via_ops=True,
        monkeypatch=monkeypatch,
    )  # fmt: skip


@needs_native
@pytest.mark.parametrize(("act", "rec"), [("tanh", "sigmoid"), ("relu", "hard_sigmoid")])
@pytest.mark.parametrize("go_backwards", [False, True])
@pytest.mark.parametrize("return_sequences", [False, True])
@pytest.mark.parametrize("input_dropout", [False, True])
def test_ops_lstm_native_path_with_every_setting_matches_reference(
    act: str,
    rec: str,
    go_backwards: bool,
    return_sequences: bool,
    input_dropout: bool,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # tanh/sigmoid is where the native path replaces the fused kernel, relu/hard_sigmoid where it
    # replaces the loop; the initial state is given, as a stateful layer gives its kept one.
    _check_against_reference(
        act,
        rec,
        go_backwards,
        return_sequences,
        seed=11,
        via_ops=True,
        input_dropout=input_dropout,
        monkeypatch=monkeypatch,
    )


def _select(act: str, rec: str = "sigmoid", **kwargs: object) -> str:
    recurrent_dropout = bool(kwargs.pop("recurrent_dropout", False))
    masked = bool(kwargs.pop("masked", False))
    return ops.select_lstm_path(
        activations.get(act), activations.get(rec), recurrent_dropout, masked, **kwargs
    )


#: The LSTM layers of the workloads, ``(batch, timesteps, input_dim, units)``, with their
#: activation and the path they must take: the small ones native, W1's training batch (151 rows
#: of 256 relu units) the loop, W5 the fused kernel; W6 is W1's model predicting one sample.
WORKLOAD_LAYERS = {
    "W0": ("tanh", [((9, 1, 1, 10), "native")]),
    "W1": ("relu", [((151, 5, 3, 256), "loop"), ((151, 5, 256, 256), "loop")]),
    "W2": ("relu", [((64, 3, 1, 50), "native"), ((64, 3, 50, 50), "native")]),
    "W3": ("tanh", [((1, 1, 1, 50), "native")]),
    "W4": ("tanh", [((5, 5, 100, 50), "native")]),
    "W5": ("tanh", [((128, 100, 32, 256), "fused"), ((128, 100, 256, 256), "fused")]),
    "W6": ("relu", [((1, 5, 3, 256), "native"), ((1, 5, 256, 256), "native")]),
}


@needs_native
@pytest.mark.parametrize("workload", sorted(WORKLOAD_LAYERS))
def test_each_workload_layer_takes_the_path_measured_fastest_for_it(workload: str) -> None:
    act, layers = WORKLOAD_LAYERS[workload]
    for (batch, timesteps, features, units), expected in layers:
        x = torch.zeros(batch, timesteps, features)
        assert _select(act, inputs=x, units=units) == expected


@needs_native
def test_recurrent_dropout_and_masks_stay_on_the_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    x = torch.zeros(5, 5, 100)
    for act in ("tanh", "relu"):
        assert _select(act, inputs=x, units=50) == "native"
        assert _select(act, inputs=x, units=50, recurrent_dropout=True) == "loop"
        assert _select(act, inputs=x, units=50, masked=True) == "loop"
    # And through ops.lstm: the native kernel is not called.
    spy = _Spy()
    monkeypatch.setattr(ops.native, "lstm", spy)
    p = {k: torch.tensor(v, dtype=torch.float32) for k, v in _problem(3, 4, 2, 5, 12).items()}
    args = (p["x"], p["h0"], p["c0"], p["kernel"], p["recurrent_kernel"], p["bias"])
    ops.lstm(*args, recurrent_mask=torch.ones(3, 5))
    ops.lstm(*args, mask=torch.ones(3, 4, dtype=torch.bool))
    assert spy.calls == 0
    ops.lstm(*args, input_mask=torch.ones(3, 2))
    assert spy.calls == 1
    with pytest.raises(ValueError, match="native LSTM path cannot apply recurrent dropout"):
        ops.lstm(*args, recurrent_mask=torch.ones(3, 5), path="native")


@needs_native
def test_what_the_native_kernel_cannot_compute_takes_the_torch_paths() -> None:
    small = torch.zeros(5, 5, 100)
    # Not float32, not on the CPU, no shape given, an activation it lacks, no timesteps.
    assert _select("tanh", inputs=small.double(), units=50) == "fused"
    assert _select("relu", inputs=small.double(), units=50) == "loop"
    assert _select("tanh", inputs=torch.zeros(5, 5, 100, device="meta"), units=50) == "fused"
    assert _select("tanh") == "fused"
    assert _select("relu", inputs=small) == "loop"
    assert _select("gelu", inputs=small, units=50) == "loop"
    assert _select("tanh", "gelu", inputs=small, units=50) == "loop"
    assert _select("tanh", inputs=torch.zeros(5, 0, 100), units=50) == "fused"


@needs_native
def test_the_crossover_follows_the_amount_of_work() -> None:
    limit = ops.NATIVE_MAX_WORK_VS_FUSED
    units, features = 64, 64
    per_sample = units * (features + units)  # one timestep of one sample
    fits = max(1, limit // per_sample)
    assert ops.native_is_faster(fits, 1, features, units, fused_alternative=True)
    assert not ops.native_is_faster(fits + 1, 1, features, units, fused_alternative=True)
    assert ops.native_is_faster(1, 1, 1, 10, fused_alternative=False)
    assert ops.native_is_faster(32, 25, 100, 128, fused_alternative=False)
    assert not ops.native_is_faster(151, 5, 256, 256, fused_alternative=False)


def test_without_the_extension_the_torch_paths_run(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(native, "_lstm", None)
    assert not native.available()
    assert not native.supports(activations.tanh, activations.sigmoid)
    small = torch.zeros(5, 5, 100)
    assert _select("tanh", inputs=small, units=50) == "fused"
    assert _select("relu", inputs=small, units=50) == "loop"
    p = {k: torch.tensor(v, dtype=torch.float32) for k, v in _problem(3, 4, 2, 5, 13).items()}
    args = (p["x"], p["h0"], p["c0"], p["kernel"], p["recurrent_kernel"], p["bias"])
    out, _, _ = ops.lstm(*args, activation=activations.relu)
    expected = reference.lstm(
        *(_problem(3, 4, 2, 5, 13)[k] for k in ("x", "kernel", "recurrent_kernel", "bias")),
        h0=_problem(3, 4, 2, 5, 13)["h0"],
        c0=_problem(3, 4, 2, 5, 13)["c0"],
        activation="relu",
        return_sequences=True,
    )
    np.testing.assert_allclose(out.numpy(), expected[0], rtol=1e-5, atol=1e-5)
    with pytest.raises(RuntimeError, match="native LSTM kernel is not built"):
        ops.lstm(*args, path="native")


@needs_native
def test_inference_without_gradients_builds_no_graph() -> None:
    p = {k: torch.tensor(v, dtype=torch.float32) for k, v in _problem(3, 4, 2, 5, 14).items()}
    weights = [p["kernel"].requires_grad_(), p["recurrent_kernel"], p["bias"]]
    with torch.no_grad():
        out, _, _ = native.lstm(p["x"], p["h0"], p["c0"], *weights)
    assert out.grad_fn is None and not out.requires_grad
    out_grad, _, _ = native.lstm(p["x"], p["h0"], p["c0"], *weights)
    assert out_grad.grad_fn is not None
    torch.testing.assert_close(out, out_grad.detach(), rtol=0, atol=0)


@needs_native
def test_a_second_derivative_is_refused_not_silently_wrong() -> None:
    p = {
        k: torch.tensor(v, dtype=torch.float32, requires_grad=True)
        for k, v in _problem(2, 3, 2, 3, 15).items()
    }
    out, _, _ = native.lstm(p["x"], p["h0"], p["c0"], p["kernel"], p["recurrent_kernel"], p["bias"])
    (grad,) = torch.autograd.grad(out.sum(), p["kernel"], create_graph=True)
    with pytest.raises(RuntimeError, match=r"once_differentiable|does not require grad"):
        grad.sum().backward()


# -- the whole training step: lstmkit.training.native_step ----------------------------------------


def _lstm_dense(
    seed: int,
    batch: int,
    timesteps: int,
    features: int,
    units: int,
    outputs: int,
    *,
    activation: str = "tanh",
    dense_activation: str = "linear",
    stateful: bool = False,
    go_backwards: bool = False,
) -> Sequential:
    set_random_seed(seed)
    shape: dict = (
        {"batch_input_shape": (batch, timesteps, features)}
        if stateful
        else {"input_shape": (timesteps, features)}
    )
    return Sequential(
        [
            LSTM(
                units,
                activation=activation,
                stateful=stateful,
                go_backwards=go_backwards,
                **shape,
            ),
            Dense(outputs, activation=dense_activation),
        ]
    )


def _regular_step(
    model: Sequential, loss: losses.Loss, optimizer: Adam, x: torch.Tensor, y: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """What ``Trainer.train_step`` does without the native step: forward, loss, gradients,
    ``optimizer.apply``."""
    prediction = model.forward(x, training=True)
    value = loss(y, prediction)
    grads = torch.autograd.grad(value, optimizer._params)
    optimizer.apply(list(grads))
    return value.detach(), prediction.detach()


def _targets(loss: str, rng: np.random.Generator, batch: int, outputs: int) -> torch.Tensor:
    if loss == "mean_squared_error":
        y = rng.normal(size=(batch, outputs))
    elif loss == "categorical_crossentropy":
        y = np.eye(outputs)[rng.integers(0, outputs, batch)]
    else:
        y = rng.random((batch, outputs)) > 0.5
    return torch.tensor(y, dtype=torch.float32)


STEP_CASES = [
    # loss, dense activation, stateful, LSTM activation, go_backwards, (batch, T, D, units, out)
    ("mean_squared_error", "linear", False, "tanh", False, (1, 1, 1, 50, 1)),  # W3
    ("mean_squared_error", "linear", False, "tanh", False, (9, 1, 1, 10, 1)),  # W0
    ("categorical_crossentropy", "softmax", True, "tanh", False, (5, 5, 100, 50, 100)),  # W4
    ("binary_crossentropy", "sigmoid", False, "relu", True, (6, 4, 3, 7, 2)),
    ("mean_squared_error", "sigmoid", True, "hard_sigmoid", True, (4, 3, 5, 9, 3)),
]


@needs_native
@pytest.mark.parametrize(
    ("loss_name", "dense_activation", "stateful", "activation", "go_backwards", "shape"),
    STEP_CASES,
)
def test_native_training_step_equals_the_regular_step(
    loss_name: str,
    dense_activation: str,
    stateful: bool,
    activation: str,
    go_backwards: bool,
    shape: tuple[int, ...],
) -> None:
    batch, timesteps, features, _, outputs = shape
    settings = {
        "activation": activation,
        "dense_activation": dense_activation,
        "stateful": stateful,
        "go_backwards": go_backwards,
    }
    models = [_lstm_dense(0, *shape, **settings) for _ in range(2)]
    loss = losses.get(loss_name)
    optimizers = [Adam(learning_rate=0.01), Adam(learning_rate=0.01)]
    for model, optimizer in zip(models, optimizers, strict=True):
        optimizer.build(model.trainable_weights)
    step = native_step.plan(models[0], loss, optimizers[0], ["accuracy"])
    assert isinstance(step, native_step.NativeTrainStep)
    rng = np.random.default_rng(1)
    for i in range(5):
        x = torch.tensor(rng.normal(size=(batch, timesteps, features)), dtype=torch.float32)
        if features == 100:  # W4's one-hot frames
            x = torch.eye(100)[torch.from_numpy(rng.integers(0, 100, (batch, timesteps)))]
        y = _targets(loss_name, rng, batch, outputs)
        if i == 3:
            optimizers[0].learning_rate = optimizers[1].learning_rate = 0.003  # a callback's
        got = step(x, y)
        expected, prediction = _regular_step(models[1], loss, optimizers[1], x, y)
        assert got.shape == () and got.dtype == torch.float32
        torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-6)
        torch.testing.assert_close(step.prediction, prediction, rtol=1e-5, atol=1e-6)
    for got_w, expected_w in zip(models[0].get_weights(), models[1].get_weights(), strict=True):
        np.testing.assert_allclose(got_w, expected_w, rtol=1e-5, atol=1e-6)
    got_state, expected_state = optimizers[0].get_state(), optimizers[1].get_state()
    assert got_state[1] == expected_state[1] == {"iterations": 5}
    for key, tensor in expected_state[0].items():
        # 1e-5 of the slot's own scale: single elements near zero come out of cancellations.
        scale = float(tensor.abs().max())
        torch.testing.assert_close(got_state[0][key], tensor, rtol=1e-5, atol=1e-5 * scale)
    if stateful:
        for a, b in zip(models[0].layers[0].states, models[1].layers[0].states, strict=True):
            torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)
        models[0].reset_states()
        assert not models[0].layers[0].states[0].any()


@needs_native
def test_native_steps_continue_from_a_saved_and_loaded_optimizer_state() -> None:
    shape = (5, 5, 100, 50, 100)
    settings = {"dense_activation": "softmax", "stateful": True}
    loss = losses.get("categorical_crossentropy")
    rng = np.random.default_rng(2)
    batches = [
        (
            torch.eye(100)[torch.from_numpy(rng.integers(0, 100, (5, 5)))],
            _targets("categorical_crossentropy", rng, 5, 100),
        )
        for _ in range(6)
    ]
    # The regular path all along.
    reference_model = _lstm_dense(3, *shape, **settings)
    reference_optimizer = Adam()
    reference_optimizer.build(reference_model.trainable_weights)
    for x, y in batches:
        _regular_step(reference_model, loss, reference_optimizer, x, y)
    # Three native steps, the optimizer state and weights saved and loaded into a new model and
    # optimizer, three more native steps.
    model = _lstm_dense(3, *shape, **settings)
    optimizer = Adam()
    optimizer.build(model.trainable_weights)
    step = native_step.plan(model, loss, optimizer, [])
    for x, y in batches[:3]:
        step(x, y)
    tensors, numbers = optimizer.get_state()
    saved = ({k: v.clone() for k, v in tensors.items()}, dict(numbers))
    weights, states = model.get_weights(), [s.clone() for s in model.layers[0].states]
    model = _lstm_dense(4, *shape, **settings)
    model.set_weights(weights)
    model.layers[0].reset_states(states)
    optimizer = Adam()
    optimizer.build(model.trainable_weights)
    optimizer.set_state(*saved)
    step = native_step.plan(model, loss, optimizer, [])
    for x, y in batches[3:]:
        step(x, y)
    for got, expected in zip(model.get_weights(), reference_model.get_weights(), strict=True):
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    assert optimizer.iterations == 6


@needs_native
def test_a_rebuilt_optimizer_is_followed() -> None:
    model = _lstm_dense(5, 2, 3, 4, 6, 1)
    optimizer = Adam()
    optimizer.build(model.trainable_weights)
    step = native_step.plan(model, losses.get("mse"), optimizer, [])
    x, y = torch.ones(2, 3, 4), torch.ones(2, 1)
    step(x, y)
    optimizer.build(model.trainable_weights)  # new slot tensors, iterations back to 0
    step(x, y)
    assert optimizer.iterations == 1 and optimizer.momentums[0].abs().sum() > 0
    optimizer.build(model.trainable_weights[:2])
    with pytest.raises(RuntimeError, match="rebuilt for other weights"):
        step(x, y)


def _unplannable() -> dict[str, tuple]:
    plain = (lambda: Sequential([LSTM(4, input_shape=(3, 2)), Dense(1)]), "mse", Adam)
    return {
        # LSTM, Dropout, Dense (a stack) plans since the stack step; a Dense first does not.
        "three layers": (
            lambda: Sequential([Dense(3, input_shape=(3, 2)), LSTM(4), Dense(1)]),
            "mse",
            Adam,
        ),
        "dropout": (
            lambda: Sequential([LSTM(4, dropout=0.1, input_shape=(3, 2)), Dense(1)]),
            "mse",
            Adam,
        ),
        "recurrent dropout": (
            lambda: Sequential([LSTM(4, recurrent_dropout=0.1, input_shape=(3, 2)), Dense(1)]),
            "mse",
            Adam,
        ),
        "sequences": (
            lambda: Sequential([LSTM(4, return_sequences=True, input_shape=(3, 2)), Dense(1)]),
            "mse",
            Adam,
        ),
        "gelu": (
            lambda: Sequential([LSTM(4, activation="gelu", input_shape=(3, 2)), Dense(1)]),
            "mse",
            Adam,
        ),
        "gelu dense": (
            lambda: Sequential([LSTM(4, input_shape=(3, 2)), Dense(1, activation="gelu")]),
            "mse",
            Adam,
        ),
        "no bias": (
            lambda: Sequential([LSTM(4, use_bias=False, input_shape=(3, 2)), Dense(1)]),
            "mse",
            Adam,
        ),
        "gru": (lambda: Sequential([GRU(4, input_shape=(3, 2)), Dense(1)]), "mse", Adam),
        "mape": (plain[0], "mape", Adam),
        "from logits": (
            plain[0],
            losses.Loss(losses.binary_crossentropy, from_logits=True),
            Adam,
        ),
        "sgd": (plain[0], "mse", SGD),
        "amsgrad": (plain[0], "mse", lambda: Adam(amsgrad=True)),
        "clipnorm": (plain[0], "mse", lambda: Adam(clipnorm=1.0)),
        "weight decay": (plain[0], "mse", lambda: Adam(weight_decay=0.01)),
    }


UNPLANNABLE = _unplannable()


@pytest.mark.parametrize("case", sorted(UNPLANNABLE))
def test_what_the_native_step_does_not_fit_gets_none(case: str) -> None:
    make_model, loss, make_optimizer = UNPLANNABLE[case]
    model = make_model()
    optimizer = make_optimizer()
    optimizer.build(model.trainable_weights)
    assert native_step.plan(model, losses.get(loss), optimizer, []) is None


@needs_native
def test_an_unbuilt_optimizer_or_frozen_layer_gets_none() -> None:
    model = _lstm_dense(6, 2, 3, 4, 6, 1)
    assert native_step.plan(model, losses.get("mse"), Adam(), []) is None
    model.layers[1].trainable = False
    optimizer = Adam()
    optimizer.build(model.trainable_weights)
    assert native_step.plan(model, losses.get("mse"), optimizer, []) is None


def test_without_the_extension_no_native_step(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(native, "_lstm", None)
    model = _lstm_dense(7, 2, 3, 4, 6, 1)
    optimizer = Adam()
    optimizer.build(model.trainable_weights)
    assert native_step.plan(model, losses.get("mse"), optimizer, []) is None


@needs_native
def test_targets_the_kernel_does_not_take_get_the_regular_step() -> None:
    # (batch, 1) targets for three outputs: the regular loss broadcasts them, and so does the
    # step, by taking the regular path for that batch.
    models = [_lstm_dense(8, 4, 3, 2, 5, 3) for _ in range(2)]
    optimizers = [Adam(), Adam()]
    for model, optimizer in zip(models, optimizers, strict=True):
        optimizer.build(model.trainable_weights)
    loss = losses.get("mse")
    step = native_step.plan(models[0], loss, optimizers[0], [])
    x, y = torch.ones(4, 3, 2), torch.ones(4, 1)
    got = step(x, y)
    expected, prediction = _regular_step(models[1], loss, optimizers[1], x, y)
    torch.testing.assert_close(got, expected)
    torch.testing.assert_close(step.prediction, prediction)
    for a, b in zip(models[0].get_weights(), models[1].get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


@needs_native
def test_fit_reports_which_training_step_ran() -> None:
    # W0's model and compile: the native step; the same model under SGD: the autograd step. Both
    # learn the same mapping, so the step that ran is also the one that trained.
    x = np.linspace(0.0, 0.8, 9, dtype=np.float32).reshape(9, 1, 1)
    y = x.reshape(9, 1) + 0.1
    for optimizer, path in (("adam", "native"), ("sgd", "autograd")):
        set_random_seed(0)
        model = Sequential([LSTM(10, input_shape=(1, 1)), Dense(1)])
        model.compile(optimizer=optimizer, loss="mean_squared_error")
        assert model.step_path is None
        history = model.fit(x, y, epochs=3, batch_size=9, verbose=0)
        assert model.step_path == path
        assert len(history.history["loss"]) == 3
        assert np.isfinite(history.history["loss"]).all()
