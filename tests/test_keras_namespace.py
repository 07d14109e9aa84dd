"""lstmkit.keras and ``lstmkit run``: the Keras module paths, the messages for what lstmkit
lacks, Keras 1/2 arguments, the import hook's life, the support table in docs/keras.md, and
the engine features scripts need (generators, Sequences, sample and class weights, epochs=0,
merge layers)."""

from __future__ import annotations

import subprocess
import sys
import types
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch

import lstmkit.keras as keras
from lstmkit.keras import KerasNotSupportedError
from lstmkit.keras._support import NOT_SUPPORTED
from lstmkit.keras.hook import keras_imports, run_script
from lstmkit.keras.table import BEGIN, END, support_table

ROOT = Path(__file__).resolve().parent.parent


def _script(tmp_path: Path, text: str, name: str = "script.py") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_import_lstmkit_touches_neither_sys_modules_aliases_nor_the_meta_path():
    code = (
        "import sys\n"
        "before = list(sys.meta_path)\n"
        "import lstmkit, lstmkit.keras, lstmkit.keras.hook\n"
        "assert sys.meta_path == before, sys.meta_path\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('keras', 'tensorflow', 'tf_keras')]\n"
        "assert not bad, bad\n"
        "heavy = [m for m in ('pandas', 'sklearn', 'h5py', 'matplotlib') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
        "print('ok')\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


def test_the_hook_lives_only_for_the_run_and_restores_what_was_there(tmp_path):
    real = types.ModuleType("keras")  # stands for a real Keras imported before the run
    sys.modules["keras"] = real
    meta_path = list(sys.meta_path)
    try:
        path = _script(
            tmp_path,
            "import sys, keras, tensorflow as tf\n"
            "from tensorflow.keras.layers import LSTM\n"
            "import tf_keras\n"
            "ARGV, FILE, PATH0 = list(sys.argv), __file__, sys.path[0]\n"
            "SAME = keras is tf.keras is tf_keras\n"
            "IS_LSTMKIT = LSTM.__mro__[1].__module__\n",
        )
        result = run_script(str(path), ["--epochs", "3"])
    finally:
        del sys.modules["keras"]
    assert result["ARGV"] == [str(path), "--epochs", "3"]
    assert result["FILE"] == str(path.resolve())
    assert result["PATH0"] == str(tmp_path.resolve())
    assert result["SAME"] is True
    assert result["IS_LSTMKIT"] == "lstmkit.layers.recurrent"
    assert sys.meta_path == meta_path
    assert "tensorflow" not in sys.modules and "tf_keras" not in sys.modules
    assert sys.argv[0] != str(path)


def test_keras_module_paths_of_keras_1_2_and_3_resolve():
    with keras_imports():
        import keras
        from keras.layers.advanced_activations import LeakyReLU
        from keras.layers.core import Dense
        from keras.layers.embeddings import Embedding
        from keras.layers.recurrent import LSTM
        from keras.layers.wrappers import Bidirectional
        from keras.preprocessing.sequence import TimeseriesGenerator, pad_sequences
        from keras.utils import np_utils, timeseries_dataset_from_array
        from keras.utils.np_utils import to_categorical

        assert keras.layers.LSTM is LSTM
        assert keras.utils.np_utils is np_utils
        assert LeakyReLU is keras.layers.LeakyReLU
        # Keras 2's lower-case initializer spellings are the classes.
        kernel = keras.initializers.glorot_uniform(seed=1)((40, 60))
        assert abs(float(kernel.std()) - (2 / 100) ** 0.5) < 0.01
        assert keras.initializers.he_normal is keras.initializers.HeNormal
    assert callable(to_categorical) and callable(pad_sequences)
    assert callable(timeseries_dataset_from_array) and TimeseriesGenerator.__len__
    assert {Dense.__name__, Embedding.__name__, Bidirectional.__name__} == {
        "Dense",
        "Embedding",
        "Bidirectional",
    }


def test_unsupported_names_name_the_symbol_and_the_script_line(tmp_path):
    cases = {
        "from keras.layers import ConvLSTM2D\n": "keras.layers.ConvLSTM2D",
        "import keras\nx = 1\nkeras.layers.Conv2D(3, 3)\n": "keras.layers.Conv2D",
        "import keras.layers.convolutional_recurrent\n": "keras.layers.convolutional_recurrent",
        "import tensorflow as tf\ntf.config.list_physical_devices('GPU')\n": "tensorflow.config",
        "from keras.layers import Dense\nDense(3, kernel_constraint='max_norm')\n": (
            "Dense(kernel_constraint=...)"
        ),
    }
    for text, symbol in cases.items():
        path = _script(tmp_path, text)
        line = len(text.splitlines())
        with pytest.raises(NOT_SUPPORTED) as caught:
            run_script(str(path))
        message = str(caught.value)
        assert message.startswith(f"lstmkit run: {symbol} is not supported by lstmkit"), message
        assert message.endswith(f"(script.py, line {line})"), message


def test_an_unsupported_attribute_read_is_also_an_attribute_error(tmp_path):
    # matplotlib reads sys.modules["tensorflow"].is_tensor and catches only AttributeError;
    # hasattr/getattr with a default must answer as for any missing attribute.
    path = _script(
        tmp_path,
        "import sys\nimport tensorflow as tf\nimport keras\n"
        "probe = (hasattr(tf, 'is_tensor'), getattr(keras.layers, 'ConvLSTM2D', 'absent'))\n"
        "import matplotlib\nmatplotlib.use('Agg')\nfrom matplotlib import pyplot\n"
        "pyplot.plot([1.0, 2.0])\npyplot.show()\n",
    )
    assert run_script(str(path))["probe"] == (False, "absent")
    with pytest.raises(AttributeError) as caught:
        keras.layers.ConvLSTM2D  # noqa: B018
    assert isinstance(caught.value, NOT_SUPPORTED)
    assert "keras.layers.ConvLSTM2D is not supported by lstmkit" in str(caught.value)
    # Imported with `from ... import`, Python would replace an AttributeError's message.
    for text, symbol in {
        "from keras.models import model_from_yaml\n": "keras.models.model_from_yaml",
        "from tensorflow import is_tensor\n": "tensorflow.is_tensor",
    }.items():
        with pytest.raises(KerasNotSupportedError) as caught:
            run_script(str(_script(tmp_path, text)))
        assert str(caught.value).startswith(f"lstmkit run: {symbol} is not supported"), text


def test_keras_1_arguments_are_mapped_with_one_warning_each():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        layers = [
            keras.layers.LSTM(
                output_dim=4,
                input_dim=3,
                input_length=5,
                init="zeros",
                inner_init="ones",
                dropout_W=0.2,
                dropout_U=0.1,
                inner_activation="hard_sigmoid",
            ),
            keras.layers.LSTM(output_dim=2, init="zeros"),
        ]
        embedding = keras.layers.Embedding(10, 3, dropout=0.2, input_length=7)
    lstm = layers[0]
    assert (lstm.units, lstm.dropout, lstm.recurrent_dropout) == (4, 0.2, 0.1)
    assert lstm.batch_input_shape == (None, 5, 3)
    assert lstm.recurrent_activation.__name__ == "hard_sigmoid"
    lstm.build_for((None, 5, 3))
    assert float(lstm.kernel.abs().sum()) == 0.0
    assert float(lstm.recurrent_kernel.sum()) == 4 * 16  # "ones": units x 4 units
    assert embedding.batch_input_shape == (None, 7)
    texts = [str(w.message) for w in caught if "Keras 1 argument" in str(w.message)]
    for old in ("output_dim", "init", "inner_init", "dropout_W", "dropout_U", "inner_activation"):
        assert sum(f"`{old}`" in t and t.startswith("LSTM") for t in texts) == 1, (old, texts)
    assert sum("Embedding: the Keras 1 argument `dropout` is ignored" in t for t in texts) == 1


def test_fit_nb_epoch_generators_sequences_and_epochs_zero():
    keras.utils.set_random_seed(0)
    series = np.sin(np.arange(60) / 4.0).astype("float32")[:, None]
    generator = keras.preprocessing.sequence.TimeseriesGenerator(
        series, series, length=5, batch_size=8
    )
    # Keras 2's windows: sample j of batch 0 is series[j : j + 5] with target series[j + 5].
    x0, y0 = generator[0]
    assert x0.shape == (8, 5, 1) and np.array_equal(x0[3], series[3:8])
    assert np.array_equal(y0[3], series[8]) and len(generator) == 7
    model = keras.models.Sequential(
        [keras.layers.LSTM(4, input_shape=(5, 1)), keras.layers.Dense(1)]
    )
    model.compile(optimizer="adam", loss="mse")
    assert model.fit(generator, epochs=0).history == {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        history = model.fit_generator(generator, nb_epoch=3, verbose=0)
    assert len(history.history["loss"]) == 3
    x = np.stack([series[i : i + 5] for i in range(55)])
    y = series[5:60]
    whole = model.evaluate(x, y, verbose=0)
    assert model.evaluate_generator(generator) == pytest.approx(whole, rel=1e-5)
    assert np.allclose(model.predict_generator(generator), model.predict(x), atol=1e-6)

    def batches():
        while True:
            for start in range(0, 55, 11):
                yield x[start : start + 11], y[start : start + 11]

    history = model.fit(batches(), steps_per_epoch=5, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2
    windows = keras.utils.timeseries_dataset_from_array(
        series[:-5], series[5:], sequence_length=5, batch_size=16
    )
    first_x, first_y = windows[0]
    assert np.array_equal(first_x[2], series[2:7]) and np.array_equal(first_y[2], series[7])
    assert sum(len(b[0]) for b in windows) == 51
    model.fit(windows, epochs=1, verbose=0)


def test_sample_and_class_weights_weigh_the_loss_as_keras():
    keras.utils.set_random_seed(1)
    x = np.random.default_rng(0).normal(size=(6, 3, 2)).astype("float32")
    y = np.array([[1.0], [0.0], [1.0], [1.0], [0.0], [1.0]], dtype="float32")
    model = keras.models.Sequential(
        [keras.layers.LSTM(3, input_shape=(3, 2)), keras.layers.Dense(1)]
    )
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.0), loss="mse")
    errors = ((model.predict(x) - y) ** 2)[:, 0]
    weights = np.array([1.0, 2.0, 0.0, 0.5, 1.0, 3.0], dtype="float32")
    # Keras: sum(loss * weight) / number of samples.
    expected = float((errors * weights).sum() / 6)
    history = model.fit(x, y, batch_size=6, epochs=1, verbose=0, sample_weight=weights)
    assert history.history["loss"][0] == pytest.approx(expected, rel=1e-5)
    history = model.fit(x, y, batch_size=6, epochs=1, verbose=0, class_weight={0: 4.0, 1: 0.5})
    by_class = np.where(y[:, 0] == 1.0, 0.5, 4.0)
    assert history.history["loss"][0] == pytest.approx(
        float((errors * by_class).sum() / 6), rel=1e-5
    )
    assert model.evaluate(x, y, sample_weight=weights, verbose=0) == pytest.approx(
        expected, rel=1e-5
    )
    with pytest.raises(ValueError, match=r"sample_weight must hold one finite weight per sample"):
        model.fit(x, y, sample_weight=np.ones(5), verbose=0)


def test_merge_layers_compute_what_numpy_computes():
    a = np.random.default_rng(1).normal(size=(4, 3)).astype("float32")
    b = np.random.default_rng(2).normal(size=(4, 3)).astype("float32")
    L = keras.layers
    assert np.allclose(L.Add()([a, b]), a + b)
    assert np.allclose(L.Subtract()([a, b]), a - b)
    assert np.allclose(L.Multiply()([a, b]), a * b)
    assert np.allclose(L.Average()([a, b]), (a + b) / 2)
    assert np.allclose(L.Maximum()([a, b]), np.maximum(a, b))
    assert np.allclose(L.Concatenate()([a, b]), np.concatenate([a, b], axis=-1))
    assert np.allclose(L.Dot(axes=1)([a, b]), (a * b).sum(axis=1, keepdims=True), atol=1e-6)
    cosine = (a * b).sum(1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)
    assert np.allclose(L.Dot(axes=1, normalize=True)([a, b])[:, 0], cosine, atol=1e-6)
    with pytest.raises(ValueError, match=r"Subtract merges exactly 2 tensors; got 3"):
        L.Subtract()([a, b, a])
    left, right = L.Input(shape=(5, 2)), L.Input(shape=(5, 2), dtype="int32")
    merged = L.concatenate([L.LSTM(3)(left), L.LSTM(2)(right)])
    model = keras.models.Model([left, right], L.Dense(1)(merged))
    assert merged.shape == (None, 5) and model.output.shape == (None, 1)
    assert model.input == [left, right]
    with pytest.raises(ValueError, match=r"Concatenate\(axis=-1\) needs the inputs' other"):
        L.Concatenate()([L.Input(shape=(5, 2)), L.Input(shape=(4, 2))])


def test_a_stateful_layer_called_eagerly_takes_its_first_batch():
    layer = keras.layers.LSTM(2, stateful=True)
    first = layer(np.ones((3, 4, 1), dtype="float32"))
    second = layer(np.ones((3, 4, 1), dtype="float32"))
    assert layer.states[0].shape == torch.Size([3, 2])
    assert not np.allclose(first, second)  # the state carried over


def test_the_support_table_in_the_docs_is_the_namespace():
    text = (ROOT / "docs" / "keras.md").read_text(encoding="utf-8")
    table = text.split(BEGIN, 1)[1].split(END, 1)[0].strip()
    assert table == support_table(), (
        "docs/keras.md's support table differs from lstmkit.keras: run "
        "`python -m lstmkit.keras.table docs/keras.md`"
    )
    assert "| `keras.layers.recurrent` | `LSTM` | `lstmkit.layers.recurrent.LSTM`" in table


def test_lstmkit_run_command_statuses_and_messages(tmp_path, capsys):
    from lstmkit.cli.main import main

    bad = _script(tmp_path, "import keras\n\nkeras.layers.ConvLSTM2D(1, 1)\n", "bad.py")
    leaves = _script(tmp_path, "raise SystemExit(3)\n", "leaves.py")
    broken = _script(tmp_path, "def f():\n    return 1 / 0\n\nf()\n", "broken.py")
    assert main(["run", str(bad)]) == 1
    assert capsys.readouterr().err.strip() == (
        "lstmkit run: keras.layers.ConvLSTM2D is not supported by lstmkit (bad.py, line 3)"
    )
    assert main(["run", str(leaves)]) == 3
    assert main(["run", str(tmp_path / "none.py")]) == 2
    assert "no such script" in capsys.readouterr().err
    assert main(["run", str(broken)]) == 1
    err = capsys.readouterr().err
    # Python's traceback from the script's frames on, none of lstmkit run's own.
    assert err.startswith("Traceback") and "ZeroDivisionError" in err and "runpy" not in err
    assert 'broken.py", line 4' in err and "site-packages" not in err and "src/lstmkit" not in err
    # One real process: `python -m lstmkit run` with the script's own arguments.
    ok = _script(tmp_path, "import sys\nimport keras\nprint('args', sys.argv[1:])\n", "ok.py")
    out = subprocess.run(
        [sys.executable, "-m", "lstmkit", "run", str(ok), "--x", "1"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert out.returncode == 0 and out.stdout == "args ['--x', '1']\n", out.stderr


def test_keras_2_decay_lowers_the_learning_rate_per_update_as_keras_2():
    # Keras 2: lr_t = lr / (1 + decay * t), t = updates before this one.
    model = keras.models.Sequential(
        [keras.layers.Dense(1, input_shape=(2,), kernel_initializer="zeros")]
    )
    optimizer = keras.optimizers.SGD(lr=0.1, decay=0.5)
    model.compile(optimizer, "mse")
    model.fit(np.ones((1, 2)), np.ones((1, 1)), epochs=3, batch_size=1, verbose=0)
    w, b = np.zeros(2), 0.0
    for t in range(3):
        rate = 0.1 / (1 + 0.5 * t)
        grad = 2 * (w.sum() + b - 1)
        w, b = w - rate * grad, b - rate * grad
    assert np.allclose(model.get_weights()[1], b, atol=1e-6)
    assert optimizer.learning_rate == pytest.approx(0.1 / (1 + 0.5 * 2))
    # Without decay it is lstmkit's own optimizer, which the native training step knows.
    assert type(keras.optimizers.Adam(lr=0.01)).__module__ == "lstmkit.optimizers"


def test_lambda_and_permute_run_in_a_graph_and_a_lambda_is_not_saved(tmp_path):
    L = keras.layers
    inputs = L.Input(shape=(4, 3))
    swapped = L.Permute((2, 1))(inputs)
    summed = L.Lambda(lambda x: keras.backend.sum(x, axis=2))(swapped)
    both = L.Lambda(lambda pair: pair[0] * 2.0 + pair[1])([summed, summed])
    model = keras.models.Model(inputs, both)
    x = np.random.default_rng(3).normal(size=(5, 4, 3)).astype("float32")
    assert summed.shape == (None, 3) and both.shape == (None, 3)
    assert np.allclose(model.predict(x), 3.0 * x.sum(axis=1), atol=1e-5)
    with pytest.raises(ValueError, match=r"is a Lambda \(Python code\), which cannot be saved"):
        model.save(tmp_path / "m.lstmkit")


def test_a_keras_namespace_sequential_trains_on_the_native_step_like_lstmkits():
    from lstmkit.keras.layers import LSTM, Dense
    from lstmkit.keras.models import Sequential
    from lstmkit.ops import native

    model = Sequential([LSTM(10, input_shape=(3, 1)), Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    model.fit(np.zeros((8, 3, 1)), np.zeros((8, 1)), epochs=1, verbose=0)
    assert model.step_path == ("native" if native.available() else "autograd")


def test_a_regularized_layer_keeps_the_regular_step_that_adds_its_penalty():
    from lstmkit.keras.layers import LSTM, Dense
    from lstmkit.keras.models import Sequential
    from lstmkit.keras.regularizers import l2

    model = Sequential([LSTM(10, input_shape=(3, 1), kernel_regularizer=l2(0.01)), Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    model.fit(np.zeros((8, 3, 1)), np.zeros((8, 1)), epochs=1, verbose=0)
    assert model.step_path == "autograd"


def test_a_sequentials_inputs_and_outputs_make_functional_models_sharing_its_layers():
    # Brownlee's LSTM autoencoder keeps the encoder with
    # Model(inputs=model.inputs, outputs=model.layers[0].output).
    model = keras.Sequential()
    model.add(keras.layers.LSTM(5, input_shape=(4, 1)))
    model.add(keras.layers.RepeatVector(4))
    model.add(keras.layers.LSTM(3, return_sequences=True))
    model.add(keras.layers.TimeDistributed(keras.layers.Dense(1)))
    x = np.random.default_rng(0).normal(size=(2, 4, 1)).astype("float32")
    encoder = keras.Model(inputs=model.inputs, outputs=model.layers[0].output)
    assert encoder.output_shape == (None, 5)
    np.testing.assert_allclose(encoder.predict(x), model.layers[0](x), atol=1e-6)
    whole = keras.Model(model.input, model.output)
    np.testing.assert_allclose(whole.predict(x), model.predict(x), atol=1e-6)
    with pytest.raises(AttributeError, match="has no input shape yet"):
        keras.Sequential([keras.layers.Dense(2)]).inputs  # noqa: B018
