"""model.summary(): Keras's table and exact parameter counts of the labs' models."""


from minidl import ops
from minidl.layers import Dense, Flatten, Input, Reshape
from minidl.layers.base import clear_session
from minidl.models.functional import Functional
from minidl.models.sequential import Sequential


def _lines(model):
    lines = []
    model.summary(print_fn=lines.append)
    return lines


def _counts(lines):
    return [line for line in lines if "params:" in line]


def _leaky(t):
    return ops.leaky_relu(t, 0.3)


def test_lm2_mlp_summary_layout_and_counts():
    clear_session()
    model = Sequential([
        Flatten(input_shape=(28, 28)), Dense(256, activation="sigmoid"),
        Dense(128, activation="sigmoid"), Dense(10, activation="sigmoid"),
    ])
    lines = _lines(model)
    assert lines[0] == 'Model: "sequential"'
    assert lines[1] == "_" * 65
    assert lines[2].rstrip() == "Layer (type)                 Output Shape              Param #"
    assert lines[3] == "=" * 65
    assert lines[4].rstrip() == "flatten (Flatten)            (None, 784)               0"
    assert lines[6].rstrip() == "dense (Dense)                (None, 256)               200960"
    assert all(len(line) == 65 for line in lines[1:-5])
    assert _counts(lines) == ["Total params: 235,146", "Trainable params: 235,146", "Non-trainable params: 0"]
    assert lines[-1] == "_" * 65


def sine_gan():
    generator = Sequential([
        Dense(32, activation="linear", kernel_initializer="he_uniform", input_dim=10),
        Dense(32, activation="relu"), Dense(64, activation="elu"), Dense(32, activation="elu"),
        Dense(32, activation="selu"), Dense(2, activation="selu"),
    ])
    discriminator = Sequential([
        Dense(16, activation="relu", input_dim=2), Dense(16, activation="relu"),
        Dense(16, activation="relu"), Dense(1, activation="sigmoid"),
    ])
    return generator, discriminator


def test_sine_gan_summaries():
    generator, discriminator = sine_gan()
    assert "Total params: 6,722" in _lines(generator)
    assert "Total params: 609" in _lines(discriminator)
    discriminator.trainable = False
    gan = Sequential([generator, discriminator])
    lines = _lines(gan)
    assert _counts(lines) == ["Total params: 7,331", "Trainable params: 6,722", "Non-trainable params: 609"]
    rows = [line.split()[0] for line in lines if "(Sequential)" in line]
    assert rows == [generator.name, discriminator.name]  # nested models are one row each


def test_lm4_autoencoder_functional_of_two_sequentials():
    encoder = Sequential([Flatten(input_shape=(28, 28))] + [Dense(u, activation=_leaky) for u in (512, 256, 128, 64, 32)])
    decoder = Sequential([Dense(64, activation=_leaky, input_shape=(32,))]
                         + [Dense(u, activation=_leaky) for u in (128, 256, 512)]
                         + [Dense(784, activation="sigmoid"), Reshape((28, 28))])
    inputs = Input(shape=(28, 28))
    autoencoder = Functional(inputs, decoder(encoder(inputs)))
    lines = _lines(autoencoder)
    assert _counts(lines) == ["Total params: 1,153,712", "Trainable params: 1,153,712", "Non-trainable params: 0"]
    assert any("[(None, 28, 28)]" in line and "(InputLayer)" in line for line in lines)
    assert any(line.startswith(encoder.name) and "(None, 32)" in line and "576480" in line for line in lines)
    encoder.trainable = False
    assert _counts(_lines(autoencoder))[1:] == ["Trainable params: 577,232", "Non-trainable params: 576,480"]


def test_long_names_are_cut_like_keras():
    model = Sequential([Dense(2, input_dim=3, name="a_really_long_layer_name_that_overflows")])
    row = _lines(model)[4]
    assert row[:29] == "a_really_long_layer_name_tha "
    assert row[29:].startswith("(None, 2)")


def test_branching_graph_has_connected_to_column():
    left, right = Input(shape=(4,)), Input(shape=(3,))
    shared = Dense(5, name="shared")
    out = Dense(2, name="head")(shared(Dense(5, name="from_right")(right)))
    model = Functional([left, right], [shared(Dense(5, name="from_left")(left)), out])
    lines = _lines(model)
    assert len(lines[1]) == 98 and "Connected to" in lines[2]
    shared_rows = [i for i, line in enumerate(lines) if line.startswith("shared (Dense)")]
    assert len(shared_rows) == 1
    assert "from_left[0][0]" in lines[shared_rows[0]] + lines[shared_rows[0] + 1]
    assert any("shared[1][0]" in line for line in lines) or any("shared[0][0]" in line for line in lines)
    assert "Total params: 87" in lines


def test_unbuilt_model_prints_keras3_unbuilt_rows():
    clear_session()
    model = Sequential([Dense(3), Dense(1)])
    lines = _lines(model)
    assert lines[4].rstrip() == "dense (Dense)                ?                         0 (unbuilt)"
    assert lines[6].rstrip() == "dense_1 (Dense)              ?                         0 (unbuilt)"
    assert _counts(lines) == ["Total params: 0", "Trainable params: 0", "Non-trainable params: 0"]
    assert not model.built  # printing builds nothing
    model.build((None, 4))
    lines = _lines(model)
    assert lines[4].rstrip() == "dense (Dense)                (None, 3)                 15"
    assert _counts(lines)[0] == "Total params: 19"
