"""Metrics: Keras 3's 'accuracy' resolution (keras/src/trainers/compile_utils.py), naming, and
the Mean averaging of keras/src/metrics/reduction_metrics.py, with values from Keras's tests."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import lstmkit.backend as K
from lstmkit import losses, metrics


def resolve(identifier, loss=None, y_true=(8, 1), y_pred=(8, 1)) -> metrics.Metric:
    return metrics.get(identifier, loss_name=loss, y_true_shape=y_true, y_pred_shape=y_pred)


@pytest.mark.parametrize(
    ("loss", "y_true", "y_pred", "kind"),
    [
        # The output's last dimension is 1: binary.
        ("binary_crossentropy", (8, 1), (8, 1), metrics.BinaryAccuracy),
        ("mse", (8, 1), (8, 1), metrics.BinaryAccuracy),
        (None, (8,), (None, 1), metrics.BinaryAccuracy),
        # Binary cross-entropy on several sigmoid outputs (Keras 2's loss rule).
        ("binary_crossentropy", (8, 5), (8, 5), metrics.BinaryAccuracy),
        ("bce", (8, 5), (8, 5), metrics.BinaryAccuracy),
        # One-hot targets: categorical.
        ("categorical_crossentropy", (8, 5), (8, 5), metrics.CategoricalAccuracy),
        ("mse", (8, 5), (8, 5), metrics.CategoricalAccuracy),
        ("my_own_loss", (8, 5), (None, 5), metrics.CategoricalAccuracy),
        # Integer targets: sparse, by the loss or by the shapes.
        ("sparse_categorical_crossentropy", (8,), (8, 5), metrics.SparseCategoricalAccuracy),
        ("sparse_categorical_crossentropy", (8, 1), (8, 5), metrics.SparseCategoricalAccuracy),
        ("mse", (8, 1), (8, 5), metrics.SparseCategoricalAccuracy),
        (None, (8,), (8, 5), metrics.SparseCategoricalAccuracy),
        (None, (8, 10), (8, 10, 5), metrics.SparseCategoricalAccuracy),
    ],
)
def test_accuracy_is_resolved_from_the_shapes_and_loss(loss, y_true, y_pred, kind) -> None:
    for spelling in ("accuracy", "acc", "Accuracy"):
        metric = resolve(spelling, loss, y_true, y_pred)
        assert type(metric) is kind
        assert metric.name == spelling  # logged exactly as written, as Keras 3


def test_string_metrics_are_named_as_given() -> None:
    for name, fn in [
        ("mae", losses.mean_absolute_error),
        ("mse", losses.mean_squared_error),
        ("MSE", losses.mean_squared_error),
        ("mean_squared_error", losses.mean_squared_error),
        ("MeanAbsoluteError", losses.mean_absolute_error),
        ("mape", losses.mean_absolute_percentage_error),
        ("msle", losses.mean_squared_logarithmic_error),
        ("binary_crossentropy", losses.binary_crossentropy),
    ]:
        metric = resolve(name)
        assert isinstance(metric, metrics.MeanMetricWrapper)
        assert metric.fn is fn
        assert metric.name == name
    assert type(resolve("binary_accuracy")) is metrics.BinaryAccuracy
    assert type(resolve("RootMeanSquaredError")) is metrics.RootMeanSquaredError


def test_metric_instances_keep_their_names_and_classes_are_instantiated() -> None:
    mine = metrics.BinaryAccuracy(name="hit_rate", threshold=0.7)
    assert resolve(mine) is mine
    rmse = resolve(metrics.RootMeanSquaredError)
    assert type(rmse) is metrics.RootMeanSquaredError
    assert rmse.name == "root_mean_squared_error"


def test_accuracies_count_right_answers_as_in_keras_tests() -> None:
    # accuracy_metrics_test.py, test_unweighted of each class.
    binary = metrics.BinaryAccuracy()
    binary.update_state(
        torch.tensor([[1.0], [1.0], [0.0], [0.0]]), torch.tensor([[0.98], [1], [0], [0.6]])
    )
    assert binary.result().item() == pytest.approx(0.75)
    rank_one = metrics.BinaryAccuracy()  # targets of shape (n,) against outputs (n, 1)
    rank_one.update_state(
        torch.tensor([1.0, 1.0, 0.0, 0.0]), torch.tensor([[0.98], [1], [0], [0.6]])
    )
    assert rank_one.result().item() == pytest.approx(0.75)
    categorical = metrics.CategoricalAccuracy()
    categorical.update_state(
        torch.tensor([[0.0, 0, 1], [0, 1, 0]]), torch.tensor([[0.1, 0.9, 0.8], [0.05, 0.95, 0]])
    )
    assert categorical.result().item() == pytest.approx(0.5)
    sparse = metrics.SparseCategoricalAccuracy()
    sparse.update_state(
        torch.tensor([[2.0], [1.0]]), torch.tensor([[0.1, 0.6, 0.3], [0.05, 0.95, 0]])
    )
    assert sparse.result().item() == pytest.approx(0.5)
    strict = metrics.BinaryAccuracy(threshold=0.99)
    strict.update_state(torch.tensor([[1.0], [1.0]]), torch.tensor([[0.98], [1.0]]))
    assert strict.result().item() == pytest.approx(0.5)


def test_accuracy_functions() -> None:
    # Keras 3's binary_accuracy is element-wise; Mean averages it per sample afterwards.
    got = metrics.binary_accuracy(torch.tensor([[1.0, 0.0]]), torch.tensor([[0.7, 0.6]]))
    assert got.tolist() == [[1.0, 0.0]]
    got = metrics.sparse_categorical_accuracy(torch.tensor([1, 0]), torch.tensor([[0.2, 0.8]] * 2))
    assert got.tolist() == [1.0, 0.0]
    got = metrics.categorical_accuracy(torch.eye(2), torch.tensor([[0.9, 0.1], [0.6, 0.4]]))
    assert got.tolist() == [1.0, 0.0]


def test_per_sample_values_average_over_samples_and_scalars_over_batches() -> None:
    # Keras 3's Mean: a batch of 3 samples then a batch of 1.
    batches = [(torch.zeros(3, 1), torch.ones(3, 1)), (torch.zeros(1, 1), torch.full((1, 1), 3.0))]
    per_sample = resolve("mae")

    def scalar_mae(y_true: torch.Tensor, y_pred: torch.Tensor) -> torch.Tensor:
        return torch.mean(torch.abs(y_true - y_pred))

    scalar = resolve(scalar_mae)
    for y_true, y_pred in batches:
        per_sample.update_state(y_true, y_pred)
        scalar.update_state(y_true, y_pred)
    assert scalar.name == "scalar_mae"
    assert per_sample.result().item() == pytest.approx((3 * 1 + 3) / 4)  # over 4 samples
    assert scalar.result().item() == pytest.approx((1 + 3) / 2)  # over 2 batches
    assert per_sample.result().shape == () and per_sample.result().dtype == torch.float32
    per_sample.reset_state()
    assert per_sample.result().item() == 0.0  # divide_no_nan: 0 before any update


def test_mean_reduces_all_but_the_first_axis() -> None:
    mean = metrics.Mean()
    mean.add(torch.tensor([[1.0, 3.0], [5.0, 7.0]]))  # per sample 2 and 6
    mean.add(torch.tensor(10.0))  # a scalar counts once
    mean.add(np.array([0.0]))
    assert mean.result().item() == pytest.approx((2 + 6 + 10 + 0) / 4)


def test_user_r2_metric_written_with_the_backend_is_averaged_over_batches() -> None:
    def r2(y_true: torch.Tensor, y_pred: torch.Tensor) -> torch.Tensor:
        ss_res = K.sum(K.square(y_true - y_pred))
        ss_tot = K.sum(K.square(y_true - K.mean(y_true)))
        return 1 - ss_res / (ss_tot + K.epsilon())

    rng = np.random.default_rng(0)
    metric = resolve(r2)
    expected = []
    for size in (5, 3):
        y = rng.normal(size=(size, 1))
        p = y + rng.normal(scale=0.5, size=(size, 1))
        metric.update_state(
            torch.tensor(y, dtype=torch.float32), torch.tensor(p, dtype=torch.float32)
        )
        expected.append(1 - ((y - p) ** 2).sum() / (((y - y.mean()) ** 2).sum() + 1e-7))
    assert metric.result().item() == pytest.approx(np.mean(expected), rel=1e-5)


def test_regression_metrics_as_keras() -> None:
    # regression_metrics_test.py: RootMeanSquaredError on [2, 4, 6] vs [1, 3, 2] -> sqrt(6).
    rmse = metrics.RootMeanSquaredError()
    rmse.update_state(torch.tensor([2.0, 4.0, 6.0]), torch.tensor([1.0, 3.0, 2.0]))
    assert rmse.result().item() == pytest.approx(np.sqrt(6))
    # The metric form of cosine similarity is positive (the loss form is its negative).
    cosine = resolve("cosine_similarity")
    cosine.update_state(
        torch.tensor([[1.0, 1.0], [1.0, 0.0]]), torch.tensor([[2.0, 2.0], [0.0, 1.0]])
    )
    assert cosine.result().item() == pytest.approx(0.5)


def test_update_state_never_reads_values_back(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_sync(*args: object, **kwargs: object) -> None:
        raise AssertionError("update_state read a tensor back to the host")

    names = ["acc", "mse", "mae", "binary_crossentropy", "hinge"]
    chosen = [resolve(name) for name in names] + [resolve(lambda yt, yp: K.mean(yt - yp))]
    for attribute in ("item", "tolist", "numpy", "__float__", "__bool__", "__int__"):
        monkeypatch.setattr(torch.Tensor, attribute, no_sync)
    for metric in chosen:
        metric.update_state(torch.ones(4, 1), torch.full((4, 1), 0.75))
        metric.update_state(torch.zeros(2, 1), torch.full((2, 1), 0.25))
        assert isinstance(metric.total, torch.Tensor)
    monkeypatch.undo()
    results = {name: metric.result().item() for name, metric in zip(names, chosen, strict=False)}
    # Hinge: labels 1 against 0.75 give 0.25, labels 0 (-1) against 0.25 give 1.25.
    expected = {
        "acc": 1.0,
        "mse": 0.0625,
        "mae": 0.25,
        "binary_crossentropy": -np.log(0.75),
        "hinge": (4 * 0.25 + 2 * 1.25) / 6,
    }
    assert results == pytest.approx(expected, rel=1e-6)
    assert chosen[-1].result().item() == pytest.approx((0.25 - 0.25) / 2)


def test_unknown_metric_lists_known_ones() -> None:
    with pytest.raises(ValueError, match=r"Unknown metric: 'acuracy'\. Known metrics: .*accuracy"):
        resolve("acuracy")
    with pytest.raises(TypeError, match="a metric must be a name"):
        resolve(42)
