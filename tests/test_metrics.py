"""Metrics: Keras 3's 'accuracy' resolution, naming and averaging."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lstmkit import metrics


@pytest.mark.parametrize(
    ("loss", "y_true", "y_pred", "kind"),
    [
        ("binary_crossentropy", (8, 1), (8, 1), metrics.BinaryAccuracy),
        ("mse", (8, 1), (8, 1), metrics.BinaryAccuracy),
        ("categorical_crossentropy", (8, 5), (8, 5), metrics.CategoricalAccuracy),
        ("sparse_categorical_crossentropy", (8,), (8, 5), metrics.SparseCategoricalAccuracy),
        ("mse", (8, 1), (8, 5), metrics.SparseCategoricalAccuracy),
        ("mse", (8,), (8, 5), metrics.SparseCategoricalAccuracy),
    ],
)
def test_accuracy_is_resolved_from_the_loss_and_shapes(loss, y_true, y_pred, kind) -> None:
    for spelling in ("accuracy", "acc"):
        metric = metrics.get(spelling, loss_name=loss, y_true_shape=y_true, y_pred_shape=y_pred)
        assert type(metric) is kind
        assert metric.name == spelling


def test_accuracies_count_right_answers() -> None:
    binary = metrics.BinaryAccuracy()
    binary.update_state(
        torch.tensor([[1.0], [0.0], [1.0], [0.0]]), torch.tensor([[0.7], [0.2], [0.4], [0.6]])
    )
    assert binary.result().item() == pytest.approx(0.5)
    categorical = metrics.CategoricalAccuracy()
    categorical.update_state(
        torch.eye(3)[[0, 1, 2]], torch.tensor([[0.8, 0.1, 0.1], [0.6, 0.3, 0.1], [0, 0.2, 0.8]])
    )
    assert categorical.result().item() == pytest.approx(2 / 3)
    sparse = metrics.SparseCategoricalAccuracy()
    sparse.update_state(torch.tensor([[0.0], [1.0]]), torch.tensor([[0.9, 0.1], [0.8, 0.2]]))
    assert sparse.result().item() == pytest.approx(0.5)


def test_per_sample_values_average_over_samples_and_scalars_over_batches() -> None:
    # Keras 3 Mean: a batch of 3 and a batch of 1.
    batches = [(torch.zeros(3, 1), torch.ones(3, 1)), (torch.zeros(1, 1), torch.full((1, 1), 3.0))]
    per_sample = metrics.get("mae", loss_name="mse", y_true_shape=(3, 1), y_pred_shape=(3, 1))

    def scalar_mae(y_true, y_pred):
        return torch.mean(torch.abs(y_true - y_pred))

    scalar = metrics.get(scalar_mae, loss_name="mse", y_true_shape=(3, 1), y_pred_shape=(3, 1))
    for y_true, y_pred in batches:
        per_sample.update_state(y_true, y_pred)
        scalar.update_state(y_true, y_pred)
    assert per_sample.name == "mae"
    assert scalar.name == "scalar_mae"
    assert per_sample.result().item() == pytest.approx((3 * 1 + 3) / 4)
    assert scalar.result().item() == pytest.approx((1 + 3) / 2)
    per_sample.reset_state()
    assert per_sample.result().item() == 0.0


def test_unknown_metric_lists_known_ones() -> None:
    with pytest.raises(ValueError, match=r"Unknown metric: 'acuracy'\. Known metrics: .*accuracy"):
        metrics.get("acuracy", loss_name=None, y_true_shape=(1, 1), y_pred_shape=(1, 1))


def test_update_state_keeps_results_as_tensors() -> None:
    metric = metrics.get("mse", loss_name=None, y_true_shape=(2, 1), y_pred_shape=(2, 1))
    metric.update_state(torch.zeros(2, 1), torch.ones(2, 1))
    assert isinstance(metric.total, torch.Tensor)
    np.testing.assert_allclose(metric.result().numpy(), 1.0)
