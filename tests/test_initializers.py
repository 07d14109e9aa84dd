"""Initialisers: Keras 3's formulas (keras/src/initializers/random_initializers.py), fan rules
and seeding."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from lstmkit import initializers
from lstmkit.initializers import (
    Constant,
    GlorotNormal,
    GlorotUniform,
    Identity,
    Orthogonal,
    RandomNormal,
    RandomUniform,
    TruncatedNormal,
    VarianceScaling,
)

SHAPE = (100, 200)  # fan_in 100, fan_out 200


@pytest.mark.parametrize(
    ("name", "limit"),
    [
        ("glorot_uniform", np.sqrt(6 / (100 + 200))),
        ("he_uniform", np.sqrt(6 / 100)),
        ("lecun_uniform", np.sqrt(3 / 100)),
        ("random_uniform", 0.05),
    ],
)
def test_uniform_bounds_and_variance(name: str, limit: float) -> None:
    values = initializers.get(name)(SHAPE).numpy()
    assert values.dtype == np.float32
    assert values.min() >= -limit
    assert values.max() <= limit
    assert values.max() > 0.99 * limit  # the whole range is used
    # A uniform on [-a, a] has variance a² / 3; 20,000 draws: well within 5 %.
    assert values.var() == pytest.approx(limit**2 / 3, rel=0.05)
    assert abs(values.mean()) < 0.02 * limit


@pytest.mark.parametrize(
    ("name", "stddev"),
    [
        ("glorot_normal", np.sqrt(2 / 300)),
        ("he_normal", np.sqrt(2 / 100)),
        ("lecun_normal", np.sqrt(1 / 100)),
    ],
)
def test_truncated_normals_keep_the_keras_standard_deviation(name: str, stddev: float) -> None:
    values = initializers.get(name)(SHAPE).numpy()
    # Keras divides by 0.8796 (the stddev of a unit normal truncated at ±2), so the truncated
    # draw has the nominal stddev, and nothing lies beyond two of the widened deviations.
    assert values.std() == pytest.approx(stddev, rel=0.03)
    assert np.abs(values).max() <= 2 * stddev / 0.87962566103423978 + 1e-6


def test_random_normal_truncated_normal_and_variance_scaling_modes() -> None:
    values = RandomNormal(mean=1.0, stddev=0.2)(SHAPE).numpy()
    assert values.mean() == pytest.approx(1.0, abs=0.01)
    assert values.std() == pytest.approx(0.2, rel=0.03)
    values = TruncatedNormal(mean=-1.0, stddev=0.1)(SHAPE).numpy()
    assert values.min() >= -1.2 - 1e-6 and values.max() <= -0.8 + 1e-6
    assert values.std() == pytest.approx(0.1 * 0.87962566103423978, rel=0.03)
    fan_out = VarianceScaling(2.0, "fan_out", "untruncated_normal")(SHAPE).numpy()
    assert fan_out.std() == pytest.approx(np.sqrt(2 / 200), rel=0.03)
    # 'normal' is Keras's alias of 'truncated_normal'.
    assert VarianceScaling(distribution="normal").distribution == "truncated_normal"


def test_fans_follow_keras() -> None:
    assert initializers.compute_fans(()) == (1, 1)
    assert initializers.compute_fans((7,)) == (7, 7)
    assert initializers.compute_fans((3, 5)) == (3, 5)
    # A (2, 3) receptive field with 4 input and 5 output channels.
    assert initializers.compute_fans((2, 3, 4, 5)) == (24, 30)


def test_glorot_uniform_on_a_convolution_kernel_uses_the_receptive_field() -> None:
    values = GlorotUniform(seed=1)((3, 40, 50)).numpy()  # fans 120 and 150
    assert np.abs(values).max() <= np.sqrt(6 / 270)
    assert np.abs(values).max() > 0.98 * np.sqrt(6 / 270)


@pytest.mark.parametrize("units", [1, 10, 32])
def test_orthogonal_lstm_recurrent_kernel_has_orthonormal_rows(units: int) -> None:
    kernel = Orthogonal()((units, 4 * units)).numpy()
    assert kernel.shape == (units, 4 * units)
    np.testing.assert_allclose(kernel @ kernel.T, np.eye(units), atol=2e-6)


@pytest.mark.parametrize("shape", [(8, 32), (32, 8), (4, 3, 5), (6, 6)])
def test_orthogonal_as_keras_with_gain(shape: tuple[int, ...]) -> None:
    values = Orthogonal(gain=2.0, seed=5)(shape).numpy().reshape(-1, shape[-1])
    rows, cols = values.shape
    if rows <= cols:
        np.testing.assert_allclose(values @ values.T, 4 * np.eye(rows), atol=1e-5)
    else:
        np.testing.assert_allclose(values.T @ values, 4 * np.eye(cols), atol=1e-5)
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        Orthogonal()((5,))


def test_orthogonal_matches_the_keras_recipe_on_the_same_normal_draw() -> None:
    # Keras 3: QR of a (max, min) normal matrix, Q times sign(diag(R)), transposed when rows <
    # cols. Re-drawn here from the same seeded generator, in NumPy.
    rows, cols = 3, 7
    a = torch.empty((cols, rows), dtype=torch.float64).normal_(
        generator=torch.Generator().manual_seed(11)
    )
    q, r = np.linalg.qr(a.numpy())
    expected = (q * np.sign(np.diag(r))).T
    got = Orthogonal(seed=11)((rows, cols), dtype=torch.float64).numpy()
    np.testing.assert_allclose(got, expected, atol=1e-12)


def test_seeded_initialisers_repeat_and_unseeded_follow_the_global_seed() -> None:
    seeded = GlorotUniform(seed=4)
    torch.testing.assert_close(seeded((5, 5)), seeded((5, 5)))
    torch.testing.assert_close(GlorotUniform(seed=4)((5, 5)), seeded((5, 5)))
    assert not torch.equal(GlorotUniform(seed=5)((5, 5)), seeded((5, 5)))
    for name in ("glorot_uniform", "orthogonal", "random_normal", "he_normal"):
        torch.manual_seed(9)
        first = initializers.get(name)((5, 5))
        second = initializers.get(name)((5, 5))
        torch.manual_seed(9)
        torch.testing.assert_close(initializers.get(name)((5, 5)), first)
        assert not torch.equal(first, second)  # unseeded: fresh values on each call


def test_constants_identity_and_dtype() -> None:
    assert initializers.get("zeros")((2,)).tolist() == [0, 0]
    assert initializers.get("ones")((2,)).tolist() == [1, 1]
    assert Constant(0.5)((2,)).tolist() == [0.5, 0.5]
    np.testing.assert_array_equal(initializers.get("identity")((2, 3)).numpy(), np.eye(2, 3))
    np.testing.assert_array_equal(Identity(gain=3.0)((2, 2)).numpy(), 3 * np.eye(2))
    assert initializers.get("glorot_uniform")((2, 2), torch.float64).dtype == torch.float64
    with pytest.raises(ValueError, match="Identity needs a 2-D shape"):
        Identity()((2, 2, 2))


@pytest.mark.parametrize(
    "initializer",
    [
        initializers.Zeros(),
        initializers.Ones(),
        Constant(0.25),
        RandomUniform(-1.0, 2.0, seed=3),
        RandomNormal(mean=1.0, stddev=0.2, seed=3),
        TruncatedNormal(stddev=0.3),
        VarianceScaling(2.0, "fan_avg", "uniform", seed=7),
        GlorotUniform(seed=1),
        GlorotNormal(),
        initializers.HeUniform(),
        initializers.HeNormal(seed=2),
        initializers.LecunUniform(),
        initializers.LecunNormal(),
        Orthogonal(gain=1.5, seed=8),
        Identity(gain=2.0),
    ],
)
def test_serialize_round_trip(initializer: initializers.Initializer) -> None:
    config = initializers.serialize(initializer)
    assert config["class_name"] == type(initializer).__name__
    clone = initializers.get(json.loads(json.dumps(config)))
    assert type(clone) is type(initializer)
    assert clone.get_config() == initializer.get_config()
    assert type(initializer).from_config(initializer.get_config()).get_config() == (
        initializer.get_config()
    )


def test_get_accepts_names_classes_functions_and_tensors() -> None:
    for name, cls in [
        ("glorot_uniform", GlorotUniform),
        ("GlorotUniform", GlorotUniform),
        ("ORTHOGONAL", Orthogonal),
        ("uniform", RandomUniform),  # Keras's aliases
        ("normal", RandomNormal),
        ("variance_scaling", VarianceScaling),
    ]:
        assert type(initializers.get(name)) is cls
    assert type(initializers.get(Orthogonal)) is Orthogonal
    instance = GlorotNormal()
    assert initializers.get(instance) is instance

    def halves(shape: tuple[int, ...], dtype: torch.dtype = torch.float32) -> torch.Tensor:
        return torch.full(shape, 0.5, dtype=dtype)

    assert initializers.get(halves) is halves
    assert initializers.serialize(halves) is halves
    from_array = initializers.get(np.arange(6.0).reshape(2, 3))
    assert from_array((2, 3)).tolist() == [[0, 1, 2], [3, 4, 5]]
    with pytest.raises(ValueError, match=r"has shape \(2, 3\); the weight needs shape \(3, 2\)"):
        from_array((3, 2))


def test_unknown_names_and_bad_arguments_are_named() -> None:
    with pytest.raises(ValueError, match=r"Unknown initializer: 'glorot'\. Known initializers: "):
        initializers.get("glorot")
    with pytest.raises(ValueError, match="Unknown initializer: 'MyInit'"):
        initializers.get({"class_name": "MyInit", "config": {}})
    with pytest.raises(ValueError, match="scale > 0"):
        VarianceScaling(scale=0.0)
    with pytest.raises(ValueError, match="mode must be one of"):
        VarianceScaling(mode="fan_sum")
    with pytest.raises(ValueError, match="seed must be an integer"):
        GlorotUniform(seed=1.5)  # type: ignore[arg-type]
