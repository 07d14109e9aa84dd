"""Initialisers: Keras 3's formulas, fan rules and seeding."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lstmkit import initializers


@pytest.mark.parametrize(
    ("name", "shape", "low", "high"),
    [
        ("glorot_uniform", (100, 200), -np.sqrt(6 / 300), np.sqrt(6 / 300)),
        ("he_uniform", (100, 200), -np.sqrt(6 / 100), np.sqrt(6 / 100)),
        ("lecun_uniform", (100, 200), -np.sqrt(3 / 100), np.sqrt(3 / 100)),
        ("random_uniform", (100, 200), -0.05, 0.05),
    ],
)
def test_uniform_limits_and_variance(name, shape, low, high) -> None:
    values = initializers.get(name)(shape).numpy()
    assert values.min() >= low
    assert values.max() <= high
    assert values.min() < 0.95 * low
    assert values.var() == pytest.approx((high - low) ** 2 / 12, rel=0.05)


@pytest.mark.parametrize(
    ("name", "stddev"),
    [
        ("glorot_normal", np.sqrt(2 / 300)),
        ("he_normal", np.sqrt(2 / 100)),
        ("lecun_normal", np.sqrt(1 / 100)),
    ],
)
def test_truncated_normals_have_the_keras_standard_deviation(name, stddev) -> None:
    values = initializers.get(name)((100, 200)).numpy()
    assert values.std() == pytest.approx(stddev, rel=0.05)
    # Keras divides by 0.8796 so that truncation at two (corrected) deviations keeps the stddev.
    assert np.abs(values).max() <= 2 * stddev / 0.87962566103423978 + 1e-6


@pytest.mark.parametrize("shape", [(8, 32), (32, 8), (4, 3, 5)])
def test_orthogonal_as_keras(shape) -> None:
    values = initializers.Orthogonal(gain=2.0)(shape).numpy().reshape(-1, shape[-1])
    rows, cols = values.shape
    if rows <= cols:
        np.testing.assert_allclose(values @ values.T, 4 * np.eye(rows), atol=1e-5)
    else:
        np.testing.assert_allclose(values.T @ values, 4 * np.eye(cols), atol=1e-5)


def test_fans_follow_keras() -> None:
    assert initializers.compute_fans(()) == (1, 1)
    assert initializers.compute_fans((7,)) == (7, 7)
    assert initializers.compute_fans((3, 5)) == (3, 5)
    assert initializers.compute_fans((2, 3, 5)) == (6, 10)


def test_seeded_initialisers_repeat_and_unseeded_follow_the_global_seed() -> None:
    seeded = initializers.GlorotUniform(seed=4)
    torch.testing.assert_close(seeded((5, 5)), seeded((5, 5)))
    torch.manual_seed(9)
    first = initializers.get("glorot_uniform")((5, 5))
    torch.manual_seed(9)
    torch.testing.assert_close(initializers.get("glorot_uniform")((5, 5)), first)


def test_constants_and_identity() -> None:
    assert initializers.get("zeros")((2,)).tolist() == [0, 0]
    assert initializers.get("ones")((2,)).tolist() == [1, 1]
    assert initializers.Constant(0.5)((2,)).tolist() == [0.5, 0.5]
    np.testing.assert_array_equal(initializers.get("identity")((2, 2)).numpy(), np.eye(2))


def test_serialize_round_trip_and_unknown_names() -> None:
    original = initializers.RandomNormal(mean=1.0, stddev=0.2, seed=3)
    clone = initializers.get(initializers.serialize(original))
    assert type(clone) is initializers.RandomNormal
    assert clone.get_config() == original.get_config()
    assert type(initializers.get("GlorotUniform")) is initializers.GlorotUniform
    with pytest.raises(ValueError, match="Unknown initializer: 'glorot'"):
        initializers.get("glorot")
