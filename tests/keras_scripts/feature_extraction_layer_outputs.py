"""Reading a trained model's inner activations, as the Sequential and functional guides show.

Patterns: ``keras.Model(inputs=model.inputs, outputs=[layer.output for layer in
model.layers])``, ``model.get_layer(name).output`` as the output of a new model,
``layer.input_shape`` / ``layer.output_shape`` (Keras 2), ``model.layers[i].output``, and
``model.input`` / ``model.output``.
"""

import numpy as np

import minidl.keras as keras
from minidl.keras import layers


def build_model():
    return keras.Sequential([
        keras.Input(shape=(250, 250, 3)),
        layers.Conv2D(8, 5, strides=2, activation="relu"),
        layers.Conv2D(8, 3, activation="relu", name="my_intermediate_layer"),
        layers.MaxPooling2D(3),
        layers.GlobalMaxPooling2D(),
        layers.Dense(4),
    ])


def main():
    model = build_model()
    extractor = keras.Model(inputs=model.inputs, outputs=[layer.output for layer in model.layers])
    features = extractor(np.ones((1, 250, 250, 3), dtype="float32"))
    print([tuple(f.shape) for f in features])
    assert len(features) == len(model.layers)

    intermediate = keras.Model(inputs=model.input, outputs=model.get_layer(name="my_intermediate_layer").output)
    assert intermediate.predict(np.ones((2, 250, 250, 3))).shape == (2, 121, 121, 8)
    print(model.layers[0].input_shape, model.layers[0].output_shape, model.output.shape)


if __name__ == "__main__":
    main()
