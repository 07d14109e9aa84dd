"""Loss functions against NumPy formulas and the values in Keras 3's own tests
(keras/src/losses/losses_test.py) and docstrings (keras/src/losses/losses.py)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from lstmkit import losses

RNG = np.random.default_rng(3)
EPS = 1e-7


def t(array: object, dtype: torch.dtype = torch.float64) -> torch.Tensor:
    return torch.tensor(np.asarray(array), dtype=dtype)


def normalise(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), EPS)


Y = RNG.normal(size=(6, 3))
P = RNG.normal(size=(6, 3))
POSITIVE = RNG.uniform(0.1, 3.0, size=(6, 3))
PROBS = RNG.uniform(0.01, 0.99, size=(6, 3))
LABELS = RNG.integers(0, 2, size=(6, 3)).astype(float)
SIGNS = 2 * LABELS - 1
DISTRIBUTION = RNG.dirichlet(np.ones(3), size=6)
ONE_HOT = np.eye(3)[RNG.integers(0, 3, size=6)]


@pytest.mark.parametrize(
    ("name", "y_true", "y_pred", "expected"),
    [
        ("mse", Y, P, ((Y - P) ** 2).mean(-1)),
        ("mae", Y, P, np.abs(Y - P).mean(-1)),
        ("mape", Y, P, 100 * np.abs((Y - P) / np.abs(Y)).mean(-1)),
        (
            "msle",
            np.abs(Y),
            np.abs(P),
            ((np.log1p(np.abs(P)) - np.log1p(np.abs(Y))) ** 2).mean(-1),
        ),
        (
            "binary_crossentropy",
            LABELS,
            PROBS,
            -(LABELS * np.log(PROBS) + (1 - LABELS) * np.log(1 - PROBS)).mean(-1),
        ),
        (
            "categorical_crossentropy",
            ONE_HOT,
            DISTRIBUTION,
            -(ONE_HOT * np.log(DISTRIBUTION)).sum(-1),
        ),
        (
            "huber",
            Y,
            P,
            np.where(np.abs(Y - P) <= 1, 0.5 * (Y - P) ** 2, np.abs(Y - P) - 0.5).mean(-1),
        ),
        ("log_cosh", Y, P, np.log(np.cosh(P - Y)).mean(-1)),
        # Labels in {0, 1} are turned into {-1, 1}, as Keras's convert_binary_labels_to_hinge.
        ("hinge", LABELS, P, np.maximum(1 - SIGNS * P, 0).mean(-1)),
        ("squared_hinge", LABELS, P, (np.maximum(1 - SIGNS * P, 0) ** 2).mean(-1)),
        (
            "categorical_hinge",
            ONE_HOT,
            P,
            np.maximum(((1 - ONE_HOT) * P).max(-1) - (ONE_HOT * P).sum(-1) + 1, 0),
        ),
        (
            "kl_divergence",
            DISTRIBUTION,
            PROBS,
            (DISTRIBUTION * np.log(DISTRIBUTION / PROBS)).sum(-1),
        ),
        ("poisson", POSITIVE, PROBS, (PROBS - POSITIVE * np.log(PROBS + EPS)).mean(-1)),
        ("cosine_similarity", Y, P, -(normalise(Y) * normalise(P)).sum(-1)),
    ],
)
def test_per_sample_values_match_numpy(name, y_true, y_pred, expected) -> None:
    loss = losses.get(name)
    got = loss.fn(t(y_true), t(y_pred))
    assert got.shape == (6,)
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-10)
    # sum_over_batch_size: the mean of the per-sample values.
    assert loss(t(y_true), t(y_pred)).item() == pytest.approx(expected.mean(), rel=1e-10)


KERAS_TRUE = np.array([[1, 9, 2], [-5, -2, 6]])
KERAS_PRED = np.array([[4, 8, 12], [8, 1, 3]], dtype=np.float32)
HINGE_TRUE = np.array([[0.0, 1.0], [0.0, 0.0]])
HINGE_PRED = np.array([[0.6, 0.4], [0.4, 0.6]])
CCE_TRUE = np.eye(3)
CCE_PRED = np.array([[0.9, 0.05, 0.05], [0.5, 0.89, 0.6], [0.05, 0.01, 0.94]])
CCE_LOGITS = np.array([[8.0, 1.0, 1.0], [0.0, 9.0, 1.0], [2.0, 3.0, 5.0]])


@pytest.mark.parametrize(
    ("name", "y_true", "y_pred", "expected", "tolerance"),
    [
        # losses_test.py, test_unweighted of each class.
        ("mean_squared_error", KERAS_TRUE, KERAS_PRED, 49.5, 1e-6),
        ("mean_absolute_error", KERAS_TRUE, KERAS_PRED, 5.5, 1e-6),
        ("mean_absolute_percentage_error", KERAS_TRUE, KERAS_PRED, 211.8518, 1e-4),
        ("mean_squared_logarithmic_error", KERAS_TRUE, KERAS_PRED, 1.4370, 1e-3),
        ("hinge", HINGE_TRUE, HINGE_PRED, 1.3, 1e-3),
        ("squared_hinge", HINGE_TRUE, HINGE_PRED, 1.86, 1e-3),
        ("categorical_hinge", HINGE_TRUE, HINGE_PRED, 1.4, 1e-3),
        ("categorical_crossentropy", CCE_TRUE, CCE_PRED, 0.3239, 1e-3),
        ("sparse_categorical_crossentropy", [0, 1, 2], CCE_PRED, 0.3239, 1e-3),
        (
            "binary_crossentropy",
            CCE_TRUE,
            [[0.9, 0.1, 0.2], [0.3, 0.8, 0.1], [0.1, 0.2, 0.7]],
            0.20046903,
            1e-6,
        ),
        # Certain wrong predictions: log(1 - (1 - 1e-7)) in float32, as Keras's clip gives.
        ("binary_crossentropy", [[1, 0], [1, 0]], [[1, 1], [1, 0]], 3.98559, 1e-5),
        # Docstring examples of keras.losses.huber and keras.losses.log_cosh.
        ("huber", [[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]], 0.155, 1e-3),
        ("log_cosh", [[0.0, 1.0], [0.0, 0.0]], [[1.0, 1.0], [0.0, 0.0]], 0.108, 1e-3),
    ],
)
def test_values_from_keras_tests_and_docs(name, y_true, y_pred, expected, tolerance) -> None:
    loss = losses.get(name)(t(y_true, torch.float32), t(y_pred, torch.float32))
    assert loss.dtype == torch.float32
    assert loss.item() == pytest.approx(expected, abs=tolerance * max(1.0, abs(expected)))


def test_from_logits_values_from_keras_tests() -> None:
    cce = losses.categorical_crossentropy(t(CCE_TRUE), t(CCE_LOGITS), from_logits=True)
    assert cce.mean().item() == pytest.approx(0.0573, abs=1e-4)
    sparse = losses.sparse_categorical_crossentropy(
        torch.tensor([0, 1, 2]), t(CCE_LOGITS), from_logits=True
    )
    assert sparse.mean().item() == pytest.approx(0.0573, abs=1e-4)
    bce = losses.binary_crossentropy(
        t([[1, 0, 1], [0, 1, 1]]), t([[10.0, -10.0, 10.0], [10.0, 10.0, -10.0]]), from_logits=True
    )
    assert bce.mean().item() == pytest.approx(3.3333, abs=1e-4)


def test_cosine_similarity_docstring_example() -> None:
    # keras.losses.cosine_similarity: [-0., -0.99999994, 0.99999994].
    got = losses.cosine_similarity(
        t([[0.0, 1.0], [1.0, 1.0], [1.0, 1.0]]), t([[1.0, 0.0], [1.0, 1.0], [-1.0, -1.0]])
    )
    np.testing.assert_allclose(got.numpy(), [0.0, -1.0, 1.0], atol=1e-7)


def test_categorical_crossentropy_normalises_then_clips_as_keras() -> None:
    one_hot = np.eye(3)[[0, 2, 1]]
    probs = np.array([[0.5, 0.3, 0.2], [2.0, 1.0, 1.0], [0.0, 1.0, 0.0]])
    clipped = np.clip(probs / probs.sum(-1, keepdims=True), EPS, 1 - EPS)
    expected = -(one_hot * np.log(clipped)).sum(-1)
    got = losses.categorical_crossentropy(t(one_hot), t(probs)).numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-10)


def test_label_smoothing_as_keras() -> None:
    smoothed_binary = LABELS * 0.8 + 0.5 * 0.2
    expected = -(smoothed_binary * np.log(PROBS) + (1 - smoothed_binary) * np.log(1 - PROBS)).mean(
        -1
    )
    got = losses.binary_crossentropy(t(LABELS), t(PROBS), label_smoothing=0.2)
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-10)
    smoothed = ONE_HOT * 0.7 + 0.3 / 3
    got = losses.categorical_crossentropy(t(ONE_HOT), t(DISTRIBUTION), label_smoothing=0.3)
    np.testing.assert_allclose(got.numpy(), -(smoothed * np.log(DISTRIBUTION)).sum(-1), 1e-10)


def test_hinge_keeps_labels_that_are_not_all_binary() -> None:
    # Keras converts only when every label is 0 or 1: here the -1 keeps all labels as given.
    y_true, y_pred = np.array([[-1.0, 0.0, 1.0]]), np.array([[0.3, -0.2, 0.8]])
    expected = np.maximum(1 - y_true * y_pred, 0).mean(-1)
    np.testing.assert_allclose(losses.hinge(t(y_true), t(y_pred)).numpy(), expected)


def test_sparse_categorical_crossentropy_equals_categorical_on_one_hot() -> None:
    probs = torch.softmax(t(RNG.normal(size=(5, 4))), -1)
    labels = torch.tensor([0, 3, 1, 1, 2])
    dense = losses.categorical_crossentropy(torch.eye(4, dtype=torch.float64)[labels], probs)
    torch.testing.assert_close(losses.sparse_categorical_crossentropy(labels, probs), dense)
    column = labels[:, None].double()  # labels as floats with a trailing axis, as fit() gives
    torch.testing.assert_close(losses.sparse_categorical_crossentropy(column, probs), dense)
    loss = losses.get("sparse_categorical_crossentropy")
    assert loss(column, probs).item() == pytest.approx(dense.mean().item())
    with pytest.raises(ValueError, match="integer labels shaped like y_pred without its last axis"):
        losses.sparse_categorical_crossentropy(torch.zeros(5, 2), probs)


def test_targets_of_rank_one_meet_outputs_of_shape_n_by_1() -> None:
    # Keras's squeeze_or_expand_to_same_rank: (n,) against (n, 1) compares sample with sample.
    y_true, y_pred = np.arange(4.0), np.arange(4.0)[:, None] + 0.5
    assert losses.mean_squared_error(t(y_true), t(y_pred)).tolist() == [0.25] * 4
    assert losses.get("mae")(t(y_true), t(y_pred)).item() == pytest.approx(0.5)

    def user_loss(y_true: torch.Tensor, y_pred: torch.Tensor) -> torch.Tensor:
        assert y_true.shape == y_pred.shape == (4, 1)
        return torch.abs(y_true - y_pred)

    assert losses.get(user_loss)(t(y_true), t(y_pred)).item() == pytest.approx(0.5)


def test_cross_entropies_refuse_mismatched_shapes() -> None:
    with pytest.raises(
        ValueError, match=r"binary_crossentropy needs y_true and y_pred of the same"
    ):
        losses.binary_crossentropy(torch.zeros(4, 2), torch.full((4, 3), 0.5))
    with pytest.raises(ValueError, match=r"y_true.shape=\(4, 1\) and y_pred.shape=\(4, 3\)"):
        losses.categorical_crossentropy(torch.zeros(4, 1), torch.full((4, 3), 0.5))


def test_gradients_flow_through_every_builtin() -> None:
    for name in ("mse", "mae", "binary_crossentropy", "categorical_crossentropy", "huber", "hinge"):
        y_pred = torch.tensor(PROBS / PROBS.sum(-1, keepdims=True), requires_grad=True)
        losses.get(name)(t(ONE_HOT), y_pred).backward()
        assert y_pred.grad is not None and torch.isfinite(y_pred.grad).all(), name
    y_pred = torch.tensor(P, requires_grad=True)
    losses.get("mse")(t(Y), y_pred).backward()
    np.testing.assert_allclose(y_pred.grad.numpy(), 2 * (P - Y) / Y.size, rtol=1e-10)


def test_names_aliases_and_serialisation() -> None:
    for name, fn in [
        ("mse", losses.mean_squared_error),
        ("MSE", losses.mean_squared_error),
        ("mae", losses.mean_absolute_error),
        ("mape", losses.mean_absolute_percentage_error),
        ("msle", losses.mean_squared_logarithmic_error),
        ("bce", losses.binary_crossentropy),
        ("kld", losses.kl_divergence),
        ("kullback_leibler_divergence", losses.kl_divergence),
        ("logcosh", losses.log_cosh),  # Keras 2's spelling
        ("huber_loss", losses.huber),
    ]:
        loss = losses.get(name)
        assert loss.fn is fn
        assert loss.name == name  # named as given, as Keras's LossFunctionWrapper
        assert losses.is_builtin(loss)
        assert losses.get(json.loads(json.dumps(losses.serialize(loss)))).fn is fn
    # Keras 3's class names give the class's default name.
    assert losses.get("MeanSquaredError").name == "mean_squared_error"
    assert losses.get("Huber").name == "huber_loss"
    assert losses.get("SparseCategoricalCrossentropy").fn is losses.sparse_categorical_crossentropy


def test_user_function_keeps_its_name_and_a_scalar_is_used_as_is() -> None:
    def my_loss(y_true: torch.Tensor, y_pred: torch.Tensor) -> torch.Tensor:
        return torch.sum((y_true - y_pred) ** 2)

    loss = losses.get(my_loss)
    assert loss.name == "my_loss"
    assert not losses.is_builtin(loss)
    assert loss(t(Y), t(P)).item() == pytest.approx(((Y - P) ** 2).sum())
    with pytest.raises(ValueError, match="not a built-in one"):
        losses.serialize(loss)
    smooth = losses.Loss(losses.binary_crossentropy, "smooth_bce", label_smoothing=0.1)
    expected = losses.binary_crossentropy(t(LABELS), t(PROBS), label_smoothing=0.1).mean()
    assert smooth(t(LABELS), t(PROBS)).item() == pytest.approx(expected.item())


def test_unknown_loss_lists_known_ones() -> None:
    with pytest.raises(ValueError, match=r"Unknown loss: 'mean_sq'\. Known losses: .*mse"):
        losses.get("mean_sq")
    with pytest.raises(TypeError, match="loss must be a name such as 'mse'"):
        losses.get(3)  # type: ignore[arg-type]
