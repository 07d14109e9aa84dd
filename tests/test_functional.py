"""The functional API: graphs of layers, several inputs and outputs, an encoder-decoder that
learns to reverse sequences, and clear errors for broken graphs."""

from __future__ import annotations

import numpy as np
import pytest

from lstmkit import Sequential
from lstmkit.layers import LSTM, Dense, Input, TimeDistributed
from lstmkit.layers.core import KerasTensor
from lstmkit.models import Model
from lstmkit.utils import set_random_seed, to_categorical

VOCAB, STEPS, UNITS = 10, 4, 48


def reverse_data(n: int, seed: int):
    """Integer sequences over 1..9 to be reversed; token 0 starts the decoder. Returns one-hot
    (encoder input, decoder input, target) and the target tokens (n, STEPS)."""
    rng = np.random.default_rng(seed)
    source = rng.integers(1, VOCAB, size=(n, STEPS))
    target = source[:, ::-1]
    decoder_input = np.concatenate([np.zeros((n, 1), int), target[:, :-1]], axis=1)
    return (
        to_categorical(source, VOCAB),
        to_categorical(decoder_input, VOCAB),
        to_categorical(target, VOCAB),
        target,
    )


def test_encoder_decoder_learns_to_reverse_sequences():
    """Teacher-forced training model, then inference models sharing its layers decode greedily
    one token at a time. Measured (seed 0): 1.000 token accuracy on 1,000 fresh sequences."""
    set_random_seed(0)
    encoder_inputs = Input(shape=(STEPS, VOCAB))
    _, h, c = LSTM(UNITS, return_state=True)(encoder_inputs)
    decoder_inputs = Input(shape=(None, VOCAB))
    decoder_lstm = LSTM(UNITS, return_sequences=True, return_state=True)
    sequence, _, _ = decoder_lstm(decoder_inputs, initial_state=[h, c])
    decoder_dense = TimeDistributed(Dense(VOCAB, activation="softmax"))
    model = Model([encoder_inputs, decoder_inputs], decoder_dense(sequence))
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    source, decoder_input, target, _ = reverse_data(4000, seed=0)
    history = model.fit([source, decoder_input], target, epochs=20, batch_size=64, verbose=0)
    assert list(history.history) == ["loss", "accuracy"]

    encoder = Model(encoder_inputs, [h, c])
    state_h, state_c = Input(shape=(UNITS,)), Input(shape=(UNITS,))
    step_sequence, step_h, step_c = decoder_lstm(decoder_inputs, initial_state=[state_h, state_c])
    decoder = Model(
        [decoder_inputs, state_h, state_c], [decoder_dense(step_sequence), step_h, step_c]
    )
    fresh, _, _, expected = reverse_data(1000, seed=1)
    h_value, c_value = encoder.predict(fresh)
    token = to_categorical(np.zeros(1000, int), VOCAB)[:, None]
    decoded = []
    for _ in range(STEPS):
        probabilities, h_value, c_value = decoder.predict([token, h_value, c_value])
        chosen = probabilities[:, -1].argmax(-1)
        decoded.append(chosen)
        token = to_categorical(chosen, VOCAB)[:, None]
    accuracy = (np.stack(decoded, axis=1) == expected).mean()
    assert accuracy >= 0.95


def test_a_chain_of_layers_equals_the_same_sequential():
    set_random_seed(3)
    inputs = Input(shape=(5, 2))
    lstm, dense = LSTM(4), Dense(1)
    model = Model(inputs, dense(lstm(inputs)))
    sequential = Sequential([LSTM(4, input_shape=(5, 2)), Dense(1)])
    sequential.set_weights(model.get_weights())
    x = np.random.default_rng(0).normal(size=(6, 5, 2)).astype(np.float32)
    np.testing.assert_allclose(model.predict(x), sequential.predict(x), atol=1e-6)
    assert model.count_params() == sequential.count_params()
    assert model.input_shape == (None, 5, 2) and model.output_shape == (None, 1)


def test_several_outputs_sum_their_losses_and_name_their_metrics():
    set_random_seed(1)
    inputs = Input(shape=(3, 1))
    hidden = LSTM(6)(inputs)
    first = Dense(1, name="first")(hidden)
    second = Dense(2, name="second")(hidden)
    model = Model(inputs, [first, second])
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    rng = np.random.default_rng(0)
    x = rng.normal(size=(8, 3, 1)).astype(np.float32)
    y1, y2 = rng.normal(size=(8, 1)), rng.normal(size=(8, 2))
    out1, out2 = model.predict(x)
    loss, mae1, mae2 = model.evaluate(x, [y1, y2], verbose=0)
    assert loss == pytest.approx(((out1 - y1) ** 2).mean() + ((out2 - y2) ** 2).mean(), rel=1e-5)
    assert mae1 == pytest.approx(np.abs(out1 - y1).mean(), rel=1e-5)
    assert mae2 == pytest.approx(np.abs(out2 - y2).mean(), rel=1e-5)
    history = model.fit(x, [y1, y2], epochs=2, verbose=0)
    assert list(history.history) == ["loss", "first_mae", "second_mae"]
    with pytest.raises(ValueError, match="this model has 2 outputs, so y must be a list of 2"):
        model.evaluate(x, y1, verbose=0)


def test_several_inputs_need_a_list_of_arrays():
    a, b = Input(shape=(3, 1), name="a"), Input(shape=(2, 1), name="b")
    h = LSTM(2)(a)
    joined = LSTM(2)(b, initial_state=[h, h])
    model = Model([a, b], Dense(1)(joined))
    model.compile("adam", "mse")
    x = [np.zeros((4, 3, 1)), np.zeros((4, 2, 1))]
    assert model.predict(x).shape == (4, 1)
    with pytest.raises(ValueError, match="this model has 2 inputs, so x must be a list of 2"):
        model.predict(np.zeros((4, 3, 1)))
    with pytest.raises(ValueError, match="same samples"):
        model.predict([np.zeros((4, 3, 1)), np.zeros((5, 2, 1))])


def test_broken_graphs_are_clear_errors():
    a, b = Input(shape=(3, 1), name="a"), Input(shape=(3, 1), name="b")
    out = Dense(1)(LSTM(2)(b))
    with pytest.raises(ValueError, match=r"disconnected: an output needs the input 'b'"):
        Model(a, out)
    with pytest.raises(ValueError, match=r"input\(s\) \['a'\] do not reach any output"):
        Model([a, b], out)
    hidden = LSTM(2)(a)
    with pytest.raises(ValueError, match="Model inputs must come from Input"):
        Model(hidden, Dense(1)(hidden))
    with pytest.raises(ValueError, match="expects outputs to be symbolic tensors"):
        Model(a, np.zeros(3))
    # A cycle cannot be written with layer calls; build one by hand to check it is refused.
    node_output = Dense(1)(LSTM(2, return_sequences=True)(a))
    lstm_node = node_output.node.inputs.node
    object.__setattr__(lstm_node, "inputs", node_output)
    with pytest.raises(ValueError, match="the graph has a cycle through layer"):
        Model(a, node_output)


def test_initial_state_of_the_wrong_count_or_shape():
    inputs = Input(shape=(3, 2))
    h = Input(shape=(4,))
    with pytest.raises(ValueError, match=r"expects initial_state to be 2 symbolic tensor"):
        LSTM(4)(inputs, initial_state=[h])
    with pytest.raises(ValueError, match=r"initial_state .* has shape \(None, 4\); expected"):
        LSTM(5)(inputs, initial_state=[h, h])
    assert isinstance(LSTM(4)(inputs, initial_state=[h, h]), KerasTensor)


def test_config_lists_every_call():
    inputs = Input(shape=(3, 1), name="series")
    model = Model(inputs, Dense(1, name="out")(LSTM(2, name="enc")(inputs)))
    config = model.get_config()
    assert [call["layer"] for call in config["calls"]] == ["enc", "out"]
    assert config["calls"][0]["input"] == "series"
    assert config["outputs"] == ["out/0"]


def test_layers_list_the_input_layers_first_as_keras_does(tmp_path):
    from lstmkit.layers import InputLayer
    from lstmkit.models import load_model

    encoder_in = Input(shape=(4, 3), name="encoder_in")
    decoder_in = Input(shape=(2, 3), name="decoder_in")
    _, h, c = LSTM(5, return_state=True, name="encoder")(encoder_in)
    sequence = LSTM(5, return_sequences=True, name="decoder")(decoder_in, initial_state=[h, c])
    model = Model([encoder_in, decoder_in], TimeDistributed(Dense(3), name="out")(sequence))
    names = [layer.name for layer in model.layers]
    assert names == ["encoder_in", "decoder_in", "encoder", "decoder", "out"]
    assert isinstance(model.get_layer(index=0), InputLayer)
    assert model.get_layer(index=2).name == "encoder"
    assert model.get_layer("decoder_in") is model.layers[1]
    # The InputLayers carry no weights: weights, counts and files are those of the other layers.
    assert model.count_params() == sum(layer.count_params() for layer in model.layers[2:])
    model.compile(optimizer="adam", loss="mse")
    path = tmp_path / "seq2seq.lstmkit"
    model.save(path)
    again = load_model(path)
    assert [layer.name for layer in again.layers] == names
    x = [np.random.default_rng(0).normal(size=(2, 4, 3)), np.zeros((2, 2, 3))]
    np.testing.assert_array_equal(again.predict(x, verbose=0), model.predict(x, verbose=0))
