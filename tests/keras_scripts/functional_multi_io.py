"""A model with several inputs and outputs, the functional API guide's ticket classifier, on
random data.

Patterns: named ``keras.Input`` s of token ids, one ``Embedding`` shared by two inputs,
``LSTM``, ``layers.concatenate``, two named outputs, ``compile`` with a dict of losses and
``loss_weights``, ``fit`` on dicts keyed by input and output names, ``predict`` returning a list,
``keras.utils.plot_model(..., show_shapes=True)`` and looking layers up by name
(``model.get_layer``).
"""

import numpy as np

import minidl.keras as keras
from minidl.keras import layers

NUM_TAGS = 6
NUM_WORDS = 200
NUM_DEPARTMENTS = 3


def build_model():
    title_input = keras.Input(shape=(None,), name="title")
    body_input = keras.Input(shape=(None,), name="body")
    tags_input = keras.Input(shape=(NUM_TAGS,), name="tags")

    shared_embedding = layers.Embedding(NUM_WORDS, 16)
    title_features = layers.LSTM(8)(shared_embedding(title_input))
    body_features = layers.LSTM(4)(shared_embedding(body_input))

    x = layers.concatenate([title_features, body_features, tags_input])
    priority_pred = layers.Dense(1, name="priority")(x)
    department_pred = layers.Dense(NUM_DEPARTMENTS, name="department", activation="softmax")(x)
    return keras.Model(inputs=[title_input, body_input, tags_input], outputs=[priority_pred, department_pred])


def main():
    model = build_model()
    model.summary()
    keras.utils.plot_model(model, "multi_input_and_output_model.png", show_shapes=True)

    rng = np.random.default_rng(1)
    title_data = rng.integers(0, NUM_WORDS, size=(64, 10))
    body_data = rng.integers(0, NUM_WORDS, size=(64, 30))
    tags_data = rng.integers(0, 2, size=(64, NUM_TAGS)).astype("float32")
    priority_targets = rng.random(size=(64, 1))
    dept_targets = rng.integers(0, NUM_DEPARTMENTS, size=(64,))

    model.compile(
        optimizer=keras.optimizers.RMSprop(1e-3),
        loss={"priority": keras.losses.BinaryCrossentropy(from_logits=True),
              "department": keras.losses.SparseCategoricalCrossentropy()},
        loss_weights={"priority": 1.0, "department": 0.2},
    )
    history = model.fit(
        {"title": title_data, "body": body_data, "tags": tags_data},
        {"priority": priority_targets, "department": dept_targets},
        epochs=2, batch_size=16,
    )
    print(sorted(history.history))
    priority, department = model.predict({"title": title_data[:4], "body": body_data[:4], "tags": tags_data[:4]})
    assert priority.shape == (4, 1) and department.shape == (4, NUM_DEPARTMENTS)
    np.testing.assert_allclose(department.sum(axis=1), 1.0, rtol=1e-5)

    # every layer object is shared between the models built on it
    department_layer = model.get_layer("department")
    assert department_layer.get_weights()[0].shape == (8 + 4 + NUM_TAGS, NUM_DEPARTMENTS)

if __name__ == "__main__":
    main()
