"""``tf.train`` (``latest_checkpoint``, ``Checkpoint``, ``CheckpointManager``), TensorFlow's
``checkpoint`` state file beside weights saved to a checkpoint prefix, and ``tf.saved_model``."""

import os

import numpy as np
import pytest

import minidl.tf as tf


def small_model():
    model = tf.keras.Sequential([tf.keras.layers.Dense(3, activation="relu", input_shape=(4,)),
                                 tf.keras.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    return model


def test_save_weights_to_a_checkpoint_prefix_records_it_for_latest_checkpoint(tmp_path):
    """The TF 2 save-and-load tutorial: ``cp-{epoch:04d}.ckpt`` files and
    ``tf.train.latest_checkpoint(checkpoint_dir)``."""
    model = small_model()
    assert tf.train.latest_checkpoint(str(tmp_path)) is None
    for epoch in (0, 5):
        model.save_weights(str(tmp_path / f"cp-{epoch:04d}.ckpt"))
    assert tf.train.latest_checkpoint(str(tmp_path)) == str(tmp_path / "cp-0005.ckpt")
    assert (tmp_path / "checkpoint").read_text().startswith('model_checkpoint_path: "cp-0005.ckpt"')
    restored = small_model()
    restored.load_weights(tf.train.latest_checkpoint(str(tmp_path)))
    for a, b in zip(restored.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)
    model.save_weights(str(tmp_path / "w.weights.h5"))  # another format: the state file is unchanged
    assert tf.train.latest_checkpoint(str(tmp_path)) == str(tmp_path / "cp-0005.ckpt")
    os.remove(tmp_path / "cp-0005.ckpt")
    assert tf.train.latest_checkpoint(str(tmp_path)) is None  # recorded but gone, as TensorFlow


def test_checkpoint_saves_and_restores_models_optimizers_and_variables(tmp_path):
    """The DCGAN tutorial's ``tf.train.Checkpoint(generator_optimizer=..., generator=...)``:
    numbered saves, ``restore(latest_checkpoint(dir))``, and an optimizer restored before its
    first step taking its saved moments when it meets its weights."""
    x = np.random.default_rng(0).normal(size=(16, 4)).astype(np.float32)
    y = x.sum(axis=1, keepdims=True)
    model, optimizer, step = small_model(), tf.keras.optimizers.Adam(1e-2), tf.Variable(3)
    for _ in range(2):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(model(x) - y))
        optimizer.apply_gradients(zip(tape.gradient(loss, model.trainable_variables), model.trainable_variables))
    checkpoint = tf.train.Checkpoint(optimizer=optimizer, model=model, step=step)
    prefix = os.path.join(str(tmp_path), "ckpt")
    assert checkpoint.save(file_prefix=prefix) == prefix + "-1"
    assert checkpoint.save(file_prefix=prefix) == prefix + "-2" and int(checkpoint.save_counter) == 2

    twin, twin_optimizer, twin_step = small_model(), tf.keras.optimizers.Adam(1e-2), tf.Variable(0)
    status = tf.train.Checkpoint(optimizer=twin_optimizer, model=twin, step=twin_step).restore(
        tf.train.latest_checkpoint(str(tmp_path)))
    status.assert_consumed()
    assert int(twin_step.numpy()) == 3 and twin_optimizer.iterations == 2
    for a, b in zip(twin.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)
    for trained, restored in ((model, optimizer), (twin, twin_optimizer)):  # one more step each: the same
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(trained(x) - y))
        restored.apply_gradients(zip(tape.gradient(loss, trained.trainable_variables), trained.trainable_variables))
    for a, b in zip(twin.get_weights(), model.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6)

    tf.train.Checkpoint(model=small_model()).restore(None)  # nothing saved yet: restores nothing
    with pytest.raises(ValueError, match=r"model has weights of shapes .* but .* holds"):
        wider = tf.keras.Sequential([tf.keras.layers.Dense(5, input_shape=(4,))])
        tf.train.Checkpoint(model=wider).restore(prefix + "-1")
    (tmp_path / "tf-ckpt-1.index").write_bytes(b"")
    with pytest.raises(ValueError, match=r"checkpoint written by TensorFlow .* which minidl cannot read"):
        tf.train.Checkpoint(model=model).restore(str(tmp_path / "tf-ckpt-1"))
    with pytest.raises(TypeError, match=r"data= is a list; minidl checkpoints models"):
        tf.train.Checkpoint(data=[1, 2])


def test_checkpoint_manager_keeps_the_newest(tmp_path):
    model = small_model()
    manager = tf.train.CheckpointManager(tf.train.Checkpoint(model=model), str(tmp_path), max_to_keep=2)
    paths = [manager.save() for _ in range(3)]
    assert manager.checkpoints == paths[1:] and manager.latest_checkpoint == paths[2]
    assert not os.path.exists(paths[0]) and tf.train.latest_checkpoint(str(tmp_path)) == paths[2]
    again = tf.train.CheckpointManager(tf.train.Checkpoint(model=small_model()), str(tmp_path), max_to_keep=2)
    assert again.restore_or_initialize() == paths[2]


def test_saved_model_save_and_load_a_keras_model(tmp_path):
    model = small_model()
    tf.saved_model.save(model, str(tmp_path / "my_model"))
    loaded = tf.saved_model.load(str(tmp_path / "my_model"))
    x = np.ones((2, 4), dtype=np.float32)
    np.testing.assert_allclose(loaded(x).numpy(), model(x).numpy(), rtol=1e-6)
    with pytest.raises(TypeError, match="minidl saves Keras models only"):
        tf.saved_model.save(tf.Variable(1.0), str(tmp_path / "v"))
    assert tf.version.VERSION == tf.__version__
