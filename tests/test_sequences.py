"""to_categorical and pad_sequences against Keras's documented behaviour."""

from __future__ import annotations

import numpy as np
import pytest

from lstmkit.data.sequences import pad_sequences
from lstmkit.utils import to_categorical


def test_to_categorical_as_keras_documents():
    out = to_categorical([0, 1, 2, 3], num_classes=4)
    np.testing.assert_array_equal(out, np.eye(4))
    assert out.dtype == np.float32
    assert to_categorical(np.array([[1], [0]])).shape == (2, 2)  # the trailing 1 is dropped
    assert to_categorical(np.zeros((3, 5), int), 7).shape == (3, 5, 7)
    np.testing.assert_array_equal(to_categorical([2.0, 0.0]), [[0, 0, 1], [1, 0, 0]])


@pytest.mark.parametrize(
    ("labels", "num_classes", "message"),
    [
        ([0, 3], 3, r"labels in \[0, 3\) \(num_classes\); got 3"),
        ([-1, 1], None, r"got -1"),
        ([0.5], None, "integer class labels"),
        ([1], 0, "num_classes must be a positive integer"),
    ],
)
def test_to_categorical_rejects_labels_keras_would_mangle(labels, num_classes, message):
    with pytest.raises(ValueError, match=message):
        to_categorical(labels, num_classes)


def test_pad_sequences_as_keras_documents():
    sequences = [[1], [2, 3], [4, 5, 6]]
    np.testing.assert_array_equal(pad_sequences(sequences), [[0, 0, 1], [0, 2, 3], [4, 5, 6]])
    np.testing.assert_array_equal(
        pad_sequences(sequences, value=-1), [[-1, -1, 1], [-1, 2, 3], [4, 5, 6]]
    )
    np.testing.assert_array_equal(
        pad_sequences(sequences, padding="post"), [[1, 0, 0], [2, 3, 0], [4, 5, 6]]
    )
    np.testing.assert_array_equal(pad_sequences(sequences, maxlen=2), [[0, 1], [2, 3], [5, 6]])
    np.testing.assert_array_equal(
        pad_sequences(sequences, maxlen=2, truncating="post"), [[0, 1], [2, 3], [4, 5]]
    )
    assert pad_sequences(sequences).dtype == np.int32


def test_pad_sequences_with_vector_steps_floats_and_empty_rows():
    steps = [np.ones((2, 3)), np.full((4, 3), 2.0), []]
    out = pad_sequences(steps, dtype="float32", padding="post", value=-9.0)
    assert out.shape == (3, 4, 3) and out.dtype == np.float32
    np.testing.assert_array_equal(out[0, 2:], -9.0)
    np.testing.assert_array_equal(out[2], -9.0)
    np.testing.assert_array_equal(
        pad_sequences([[0.5, 1.5]], maxlen=3, dtype="float32"), [[0, 0.5, 1.5]]
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"padding": "left"}, "padding must be 'pre' or 'post'"),
        ({"truncating": "middle"}, "truncating must be 'pre' or 'post'"),
        ({"maxlen": 0}, "maxlen must be a positive integer"),
        ({"value": "x"}, "value='x' is text"),
    ],
)
def test_pad_sequences_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        pad_sequences([[1, 2]], **kwargs)


def test_pad_sequences_bad_sequences():
    with pytest.raises(ValueError, match="sequence 1 is 5"):
        pad_sequences([[1], 5])
    with pytest.raises(ValueError, match=r"sequence 1 have shape \(3,\)"):
        pad_sequences([np.ones((2, 2)), np.ones((2, 3))])
