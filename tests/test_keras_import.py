"""load_keras_model against files Keras 3.15.1 itself wrote (``.keras`` and legacy ``.h5``), a
Keras 2-style ``.h5`` written by hand, and files that must be refused.

Keras is a test-only dependency, on its PyTorch backend."""

from __future__ import annotations

import json
import os
import shutil
import warnings
import zipfile

import numpy as np
import pytest

os.environ["KERAS_BACKEND"] = "torch"
keras = pytest.importorskip("keras")
h5py = pytest.importorskip("h5py")

from lstmkit import losses  # noqa: E402
from lstmkit.saving.keras_import import KerasImportError, load_keras_model  # noqa: E402

L = keras.layers
RNG = np.random.default_rng(7)
X = RNG.normal(size=(5, 6, 3)).astype("float32")
# Padded batches for the masked models: row i keeps its last 6 - i steps (row 5: none masked
# in TOKENS, where 0 is padding; in PADDED, all-zero feature vectors are padding).
TOKENS = RNG.integers(1, 9, size=(5, 6))
PADDED = X.copy()
for _row in range(5):
    TOKENS[_row, :_row] = 0
    PADDED[_row, :_row] = 0.0


def _models() -> dict[str, tuple[list, np.ndarray, object]]:
    """name -> (Keras layers, input batch, optimizer to compile with)."""
    return {
        "lstm_dense": (
            [keras.Input((6, 3)), L.LSTM(5), L.Dense(1)],
            X,
            keras.optimizers.Adam(0.003, beta_1=0.8),
        ),
        "stacked_lstm_dropout": (
            [
                keras.Input((6, 3)),
                L.LSTM(5, return_sequences=True, go_backwards=True),
                L.Dropout(0.3),
                L.LSTM(4, activation="relu", unit_forget_bias=False),
                L.Dense(2, activation="softmax"),
            ],
            X,
            keras.optimizers.SGD(0.05, momentum=0.9, nesterov=True),
        ),
        "gru_reset_after": (
            [keras.Input((6, 3)), L.GRU(4), L.Dense(1)],
            X,
            keras.optimizers.RMSprop(0.01, rho=0.8),
        ),
        "gru_reset_before": (
            [keras.Input((6, 3)), L.GRU(4, reset_after=False, return_sequences=True), L.GRU(2)],
            X,
            keras.optimizers.Adagrad(0.02),
        ),
        "simple_rnn": (
            [keras.Input((6, 3)), L.SimpleRNN(4, activation="relu"), L.Dense(1)],
            X,
            keras.optimizers.Adamax(0.004),
        ),
        "bidirectional_concat": (
            [keras.Input((6, 3)), L.Bidirectional(L.LSTM(3)), L.Dense(1)],
            X,
            keras.optimizers.Nadam(0.002),
        ),
        "bidirectional_sum": (
            [
                keras.Input((6, 3)),
                L.Bidirectional(L.LSTM(3, return_sequences=True), merge_mode="sum"),
                L.Bidirectional(L.GRU(2)),
            ],
            X,
            keras.optimizers.Adadelta(0.5),
        ),
        "time_distributed": (
            [
                keras.Input((6, 3)),
                L.LSTM(4, return_sequences=True),
                L.TimeDistributed(L.Dense(2, activation="tanh")),
            ],
            X,
            keras.optimizers.Adam(0.001),
        ),
        "cnn_lstm": (
            [
                keras.Input((6, 3)),
                L.Conv1D(4, 2, activation="relu"),
                L.MaxPooling1D(2),
                L.LSTM(3),
                L.Dense(1),
            ],
            X,
            keras.optimizers.RMSprop(0.002, momentum=0.5),
        ),
        "embedding_mask_zero": (
            [keras.Input((6,), dtype="int32"), L.Embedding(9, 4, mask_zero=True), L.LSTM(3)],
            TOKENS,
            keras.optimizers.SGD(0.1),
        ),
        "masking": (
            [
                keras.Input((6, 3)),
                L.Masking(0.0),
                L.LSTM(3, return_sequences=True),
                L.LSTM(2),
            ],
            PADDED,
            keras.optimizers.Adam(0.01),
        ),
        "repeat_vector_seq2seq": (
            [
                keras.Input((6, 3)),
                L.LSTM(4),
                L.RepeatVector(3),
                L.LSTM(2, return_sequences=True),
                L.TimeDistributed(L.Dense(1)),
                L.Flatten(),
                L.Activation("sigmoid"),
            ],
            X,
            keras.optimizers.Adam(0.02, amsgrad=True),
        ),
    }


def _save(model, path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Keras calls .h5 legacy
        model.save(path)


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """Every model of _models() compiled and saved in both formats, with Keras's predictions."""
    directory = tmp_path_factory.mktemp("keras_models")
    out = {}
    for name, (layers, x, optimizer) in _models().items():
        model = keras.Sequential(layers, name=f"seq_{name}")
        model.compile(optimizer=optimizer, loss="mse", metrics=["mae"])
        paths = {}
        for suffix in (".keras", ".h5"):
            paths[suffix] = directory / f"{name}{suffix}"
            _save(model, paths[suffix])
        out[name] = (model, x, model.predict(x, verbose=0), paths)
    return out


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
@pytest.mark.parametrize("name", list(_models()))
def test_keras_files_load_with_keras_predictions(saved, name, suffix):
    keras_model, x, expected, paths = saved[name]
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # the compile config must translate
        model = load_keras_model(paths[suffix])
    assert model.name == keras_model.name
    assert [layer.name for layer in model.layers] == [layer.name for layer in keras_model.layers]
    assert model.count_params() == keras_model.count_params()
    for ours, theirs in zip(model.get_weights(), keras_model.get_weights(), strict=True):
        np.testing.assert_array_equal(ours, theirs)
    np.testing.assert_allclose(model.predict(x), expected, rtol=0, atol=1e-5)
    # Compiled as Keras was: the same optimizer class and hyper-parameters, loss and metrics.
    keras_optimizer = keras_model.optimizer
    assert type(model.optimizer).__name__.lower() == type(keras_optimizer).__name__.lower()
    assert model.optimizer.learning_rate == pytest.approx(
        float(keras_optimizer.learning_rate), rel=1e-7
    )
    keras_config = keras_optimizer.get_config()
    for key, value in model.optimizer.get_config().items():
        if key in keras_config and key != "name":
            assert value == pytest.approx(keras_config[key], rel=1e-6), key
    assert model.loss.name == "mse"
    assert model._trainer._metric_ids == ["mae"]


def test_imported_model_trains(saved):
    _, x, _, paths = saved["lstm_dense"]
    model = load_keras_model(paths[".keras"])
    y = np.ones((len(x), 1), dtype="float32")
    before = model.evaluate(x, y, verbose=0)
    model.fit(x, y, epochs=3, batch_size=5, verbose=0)
    assert model.evaluate(x, y, verbose=0)[0] < before[0]


def test_keras_loss_and_metric_objects_translate(tmp_path):
    model = keras.Sequential([keras.Input((6, 3)), L.LSTM(2), L.Dense(1)])
    model.compile(
        optimizer=keras.optimizers.SGD(0.1, clipnorm=1.0),
        loss=keras.losses.BinaryCrossentropy(from_logits=True),
        metrics=[keras.metrics.MeanAbsoluteError(), "accuracy"],
    )
    for suffix in (".keras", ".h5"):
        _save(model, tmp_path / f"m{suffix}")
        imported = load_keras_model(tmp_path / f"m{suffix}")
        assert imported.optimizer.clipnorm == 1.0
        assert imported.loss.fn is losses.binary_crossentropy
        assert imported.loss.fn_kwargs == {"from_logits": True}
        assert imported._trainer._metric_ids == ["mean_absolute_error", "accuracy"]


def test_untranslatable_compile_config_warns_and_leaves_the_model_uncompiled(tmp_path):
    model = keras.Sequential([keras.Input((6, 3)), L.LSTM(2), L.Dense(1)])
    schedule = keras.optimizers.schedules.ExponentialDecay(0.1, 10, 0.9)
    model.compile(optimizer=keras.optimizers.Adam(schedule), loss="mse")
    _save(model, tmp_path / "schedule.keras")
    with pytest.warns(RuntimeWarning, match=r"uncompiled.*learning rate is a schedule"):
        imported = load_keras_model(tmp_path / "schedule.keras")
    assert imported._trainer is None
    np.testing.assert_allclose(imported.predict(X), model.predict(X, verbose=0), atol=1e-5)
    model.compile(optimizer="adam", loss="mse", metrics=[keras.metrics.AUC()])
    _save(model, tmp_path / "auc.h5")
    with pytest.warns(RuntimeWarning, match=r"uncompiled.*metric AUC sets num_thresholds=200"):
        assert load_keras_model(tmp_path / "auc.h5")._trainer is None
    uncompiled = keras.Sequential([keras.Input((6, 3)), L.Dense(1)])
    _save(uncompiled, tmp_path / "plain.keras")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert load_keras_model(tmp_path / "plain.keras")._trainer is None


def test_stateful_model_keeps_state_like_keras(tmp_path):
    model = keras.Sequential(
        [keras.Input(batch_shape=(5, 6, 3)), L.LSTM(3, stateful=True), L.Dense(1)]
    )
    _save(model, tmp_path / "stateful.keras")
    imported = load_keras_model(tmp_path / "stateful.keras")
    assert imported.input_shape == (5, 6, 3)
    for _ in range(2):  # the second call starts from the state the first one left
        np.testing.assert_allclose(
            imported.predict(X, batch_size=5),
            model.predict(X, batch_size=5, verbose=0),
            atol=1e-5,
            rtol=0,
        )


def _keras2_config(entry: dict) -> dict:
    """A Keras 3 layer entry as Keras 2 (tf.keras) wrote it: no module/registered_name/
    build_config, dtype a string, initializers without module."""
    config = {}
    for key, value in entry["config"].items():
        if key == "dtype":
            value = "float32"
        elif isinstance(value, dict) and "class_name" in value:
            value = {"class_name": value["class_name"], "config": value["config"]}
            value["config"].pop("input_axes", None)
            value["config"].pop("output_axes", None)
        config[key] = value
    return {"class_name": entry["class_name"], "config": config}


def test_keras2_style_h5_loads(saved, tmp_path):
    """tf.keras 2.x wrote batch_input_shape on the first layer (no InputLayer), LSTM arguments
    implementation/time_major, and weights under <layer>/<layer>/<cell>/<name>:0."""
    keras_model, x, expected, _ = saved["stacked_lstm_dropout"]
    layers = [
        _keras2_config(
            json.loads(
                json.dumps({"class_name": type(layer).__name__, "config": layer.get_config()})
            )
        )
        for layer in keras_model.layers
    ]
    layers[0]["config"]["batch_input_shape"] = [None, 6, 3]
    for layer in layers:
        if layer["class_name"] == "LSTM":
            layer["config"].update(implementation=2, time_major=False)
    model_config = {"class_name": "Sequential", "config": {"name": "old", "layers": layers}}
    training_config = {
        "loss": "mse",
        "metrics": [
            [
                {
                    "class_name": "MeanMetricWrapper",
                    "config": {"name": "mae", "dtype": "float32", "fn": "mean_absolute_error"},
                }
            ]
        ],
        "optimizer_config": {
            "class_name": "Custom>Adam",
            "config": {
                "name": "Adam",
                "learning_rate": 0.002,
                "decay": 0.0,
                "beta_1": 0.9,
                "beta_2": 0.999,
                "epsilon": 1e-07,
                "amsgrad": False,
                "is_legacy_optimizer": False,
                "jit_compile": True,
            },
        },
    }
    path = tmp_path / "keras2.h5"
    with h5py.File(path, "w") as h5:
        h5.attrs["keras_version"] = "2.15.0"
        h5.attrs["backend"] = "tensorflow"
        h5.attrs["model_config"] = json.dumps(model_config)
        h5.attrs["training_config"] = json.dumps(training_config)
        weights = h5.create_group("model_weights")
        weights.attrs["layer_names"] = [layer.name.encode() for layer in keras_model.layers]
        for layer in keras_model.layers:
            group = weights.create_group(layer.name)
            names = []
            cell = {"LSTM": "lstm_cell"}.get(type(layer).__name__)
            for variable in layer.weights:
                parts = [layer.name, cell, f"{variable.name}:0"]
                names.append("/".join(p for p in parts if p))
                group.create_dataset(names[-1], data=variable.numpy())
            group.attrs["weight_names"] = [n.encode() for n in names]
    model = load_keras_model(path)
    np.testing.assert_allclose(model.predict(x), expected, rtol=0, atol=1e-5)
    assert type(model.optimizer).__name__ == "Adam"
    assert model.optimizer.learning_rate == 0.002
    assert model._trainer._metric_ids == ["mae"]


def test_custom_objects_map_a_class_to_an_lstmkit_layer(saved, tmp_path):
    from lstmkit.layers import Dense

    class ScaledDense(Dense):
        pass

    _, x, expected, paths = saved["lstm_dense"]
    config, members = _archive(paths[".keras"])
    config["config"]["layers"][2]["class_name"] = "ScaledDense"
    config["config"]["layers"][2]["registered_name"] = "my_package>ScaledDense"
    # Keras keys a layer's weights by its class: a ScaledDense's group is layers/scaled_dense.
    (tmp_path / "weights.h5").write_bytes(members["model.weights.h5"])
    with h5py.File(tmp_path / "weights.h5", "r+") as h5:
        h5.move("layers/dense", "layers/scaled_dense")
    weights = (tmp_path / "weights.h5").read_bytes()
    path = _write_archive(
        tmp_path / "custom.keras", members, config, **{"model.weights.h5": weights}
    )
    with pytest.raises(KerasImportError, match=r"registered custom class 'my_package>Scaled"):
        load_keras_model(path)
    model = load_keras_model(path, custom_objects={"my_package>ScaledDense": ScaledDense})
    assert isinstance(model.layers[1], ScaledDense)
    np.testing.assert_allclose(model.predict(x), expected, rtol=0, atol=1e-5)


# -- files that are refused ----------------------------------------------------------------------


def _archive(path) -> tuple[dict, dict[str, bytes]]:
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    return json.loads(members["config.json"]), members


def _write_archive(path, members, config=None, compression=zipfile.ZIP_STORED, **replace):
    members = dict(members)
    if config is not None:
        members["config.json"] = json.dumps(config).encode()
    members.update(replace)
    with zipfile.ZipFile(path, "w", compression=compression) as archive:
        for name, data in members.items():
            if data is not None:
                archive.writestr(name, data)
    return path


def test_files_that_are_not_keras_models_are_refused(saved, tmp_path):
    (tmp_path / "notes.keras").write_text("just some text")
    with pytest.raises(KerasImportError, match=r"notes.keras'.*expected a Keras 3 .keras.*neither"):
        load_keras_model(tmp_path / "notes.keras")
    with pytest.raises(FileNotFoundError):
        load_keras_model(tmp_path / "missing.keras")
    _, members = _archive(saved["lstm_dense"][3][".keras"])
    path = _write_archive(tmp_path / "noconfig.keras", members, **{"config.json": None})
    with pytest.raises(KerasImportError, match=r"noconfig.keras'.*lacks config.json"):
        load_keras_model(path)
    with zipfile.ZipFile(tmp_path / "other.zip", "w") as archive:
        archive.writestr("readme.txt", "hello")
    with pytest.raises(KerasImportError, match=r"lacks config.json, model.weights.h5"):
        load_keras_model(tmp_path / "other.zip")
    keras_model = saved["lstm_dense"][0]
    keras_model.save_weights(tmp_path / "only.weights.h5")
    with pytest.raises(KerasImportError, match=r"no model_config.*load_weights"):
        load_keras_model(tmp_path / "only.weights.h5")


def test_functional_models_are_refused(tmp_path):
    inputs = keras.Input((6, 3))
    model = keras.Model(inputs, L.Dense(1)(L.LSTM(2)(inputs)))
    for suffix in (".keras", ".h5"):
        _save(model, tmp_path / f"functional{suffix}")
        with pytest.raises(
            KerasImportError, match=r"expected a Sequential model, found a functional Keras model"
        ):
            load_keras_model(tmp_path / f"functional{suffix}")


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_regularizers_import_and_a_constraint_is_refused_naming_layer_key_and_value(
    tmp_path, suffix
):
    # L1/L2/L1L2 regularizers are imported: the loss lstmkit evaluates includes their penalty,
    # as Keras's does.
    model = keras.Sequential(
        [keras.Input((6, 3)), L.LSTM(2, name="encoder", kernel_regularizer="l2"), L.Dense(1)]
    )
    model.compile(optimizer="sgd", loss="mse")
    _save(model, tmp_path / f"regularized{suffix}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = load_keras_model(tmp_path / f"regularized{suffix}")
    y = np.ones((5, 1), dtype="float32")
    assert ours.layers[0].weight_regularizers["kernel"].l2 == pytest.approx(0.01)
    assert ours.evaluate(X, y, verbose=0) == pytest.approx(
        model.evaluate(X, y, verbose=0), rel=1e-5
    )
    constrained = keras.Sequential(
        [keras.Input((6, 3)), L.LSTM(2, name="encoder", kernel_constraint="non_neg"), L.Dense(1)]
    )
    _save(constrained, tmp_path / f"constrained{suffix}")
    with pytest.raises(
        KerasImportError,
        match=r"layer 'encoder' \(LSTM\) sets kernel_constraint=.*NonNeg.*cannot honour",
    ):
        load_keras_model(tmp_path / f"constrained{suffix}")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda c: c["config"]["layers"][1].update(class_name="Lambda"),
            r"layer 1 is a 'Lambda', a layer class lstmkit does not import",
        ),
        (
            lambda c: c["config"]["layers"][1].update(class_name="os.system"),
            r"layer 1 is a 'os.system', a layer class lstmkit does not import",
        ),
        (
            lambda c: c["config"]["layers"][1].update(module="evil.layers"),
            r"comes from module 'evil.layers'",
        ),
        (
            lambda c: c["config"]["layers"][1]["config"].update(dtype="mixed_float16"),
            r"layer 'lstm.*' \(LSTM\) has dtype='mixed_float16'",
        ),
        (
            lambda c: c["config"]["layers"][1]["config"].update(time_major=True),
            r"\(LSTM\) sets time_major=True",
        ),
        (
            lambda c: c["config"]["layers"][1]["config"].update(kernel_constraint={"x": 1}),
            r"\(LSTM\) sets kernel_constraint=\{'x': 1\}",
        ),
        (
            lambda c: c["config"]["layers"][1]["config"].update(implementation_detail=3),
            r"argument implementation_detail=3, which lstmkit's LSTM does not take",
        ),
        (
            lambda c: c["config"]["layers"][2]["config"].update(activation="swishy"),
            r"\(Dense\) has activation='swishy', an activation lstmkit does not have",
        ),
        (
            lambda c: c["config"]["layers"][2]["config"]["kernel_initializer"].update(
                class_name="MyInit"
            ),
            r"\(Dense\) has kernel_initializer=.*MyInit.*cannot make",
        ),
        (
            lambda c: c["config"]["layers"][1]["config"].update(units=3),
            r"\(LSTM\): weight 'kernel' has shape \(3, 20\) in the file; lstmkit's layer needs "
            r"\(3, 12\)",
        ),
        (
            lambda c: c["config"]["layers"][2]["config"].update(use_bias=False),
            r"\(Dense\): the weights file has 2 arrays under layers/dense/vars; lstmkit's Dense "
            r"has 1 \(kernel\)",
        ),
        (
            lambda c: c["config"]["layers"].insert(2, c["config"]["layers"][2]),
            r"\(Dense\): the weights file has 0 arrays under layers/dense_1/vars",
        ),
        (
            lambda c: c["config"]["layers"].pop(2),
            r"holds 5 layer arrays; the architecture's layers have 3 weights",
        ),
        (
            lambda c: c["config"]["layers"][2]["config"].update(name="renamed"),
            r"layers/dense belongs to a layer named 'dense.*'; the architecture and the weights",
        ),
    ],
)
def test_architectures_that_cannot_be_imported_faithfully_are_refused(
    saved, tmp_path, change, message
):
    config, members = _archive(saved["lstm_dense"][3][".keras"])
    change(config)
    path = _write_archive(tmp_path / "changed.keras", members, config)
    with pytest.raises(KerasImportError, match=message):
        load_keras_model(path)


def test_legacy_weights_that_do_not_match_are_refused(saved, tmp_path):
    source = saved["lstm_dense"][3][".h5"]

    def edited(name, edit):
        path = tmp_path / name
        shutil.copy(source, path)
        with h5py.File(path, "r+") as h5:
            edit(h5)
        return path

    def units(h5):
        config = json.loads(h5.attrs["model_config"])
        config["config"]["layers"][1]["config"]["units"] = 4
        h5.attrs["model_config"] = json.dumps(config)

    with pytest.raises(KerasImportError, match=r"'lstm.*' \(LSTM\): weight 'kernel' has shape"):
        load_keras_model(edited("units.h5", units))

    def dense_group(h5):
        return h5["model_weights"][_text(h5["model_weights"].attrs["layer_names"][1])]

    def float64(h5):
        group = dense_group(h5)
        name = _text(group.attrs["weight_names"][0])
        data = group[name][()]
        del group[name]
        group.create_dataset(name, data=data.astype("float64"))

    with pytest.raises(KerasImportError, match=r"\(Dense\): weight 'kernel' is float64"):
        load_keras_model(edited("float64.h5", float64))

    def external(h5):
        group = dense_group(h5)
        name = _text(group.attrs["weight_names"][0])
        del group[name]
        group[name] = h5py.ExternalLink("/etc/elsewhere.h5", "/data")

    with pytest.raises(KerasImportError, match=r"is a ExternalLink; only plain data is read"):
        load_keras_model(edited("external.h5", external))

    def swapped(h5):
        group = dense_group(h5)
        group.attrs["weight_names"] = list(reversed(group.attrs["weight_names"]))

    with pytest.raises(
        KerasImportError, match=r"weight '.*bias' is where lstmkit expects 'kernel'"
    ):
        load_keras_model(edited("swapped.h5", swapped))


def _text(value) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def test_zip_bombs_are_refused_before_reading(saved, tmp_path):
    _, members = _archive(saved["lstm_dense"][3][".keras"])
    bomb = _write_archive(
        tmp_path / "bomb.keras",
        members,
        compression=zipfile.ZIP_DEFLATED,
        **{"model.weights.h5": bytes(20_000_000)},
    )
    with pytest.raises(KerasImportError, match=r"compression ratio above 100 \(a zip bomb\?\)"):
        load_keras_model(bomb)
