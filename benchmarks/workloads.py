"""The benchmark workloads: the labs' models, their shapes and training settings, and the
synthetic data each step is fed.

A workload is described once here; ``models_minidl.py``, ``models_torch.py`` and
``models_keras.py`` each build the same model in their framework from this description.
The data are random but have the real shapes and types: token ids drawn uniformly below the
vocabulary size, 0/1 labels, images in [0, 1) (in [-1, 1) for the GAN), float32 throughout,
so every framework does exactly the arithmetic a real epoch would.

Kinds of workload:

* ``train``   -- one ``train_on_batch`` (forward, backward, optimizer update) per step;
* ``predict`` -- one ``predict`` over ``predict_samples`` inputs per step;
* ``gan``     -- one DCGAN step of the lab: generate ``batch`` fakes, train the discriminator
  on ``batch`` real + ``batch`` fake, train the generator through the frozen discriminator;
* ``word2vec`` -- one epoch of word2vec over a synthetic Zipf-distributed corpus.
"""

import dataclasses

import numpy as np


@dataclasses.dataclass(frozen=True)
class Workload:
    name: str
    lab: str
    description: str
    kind: str = "train"                # train | predict | gan | word2vec
    model: str = "rnn_classifier"      # rnn_classifier | cnn | cifar_cnn | dense_multihot | dcgan | word2vec
    cell: str = "lstm"                 # rnn_classifier: lstm | gru | rnn | bilstm | stacked_lstm
    units: int = 32
    vocab: int = 8000
    embed_dim: int = 32
    seq: int = 200
    batch: int = 128
    optimizer: str = "rmsprop"
    loss: str = "binary_crossentropy"
    predict_samples: int = 0           # predict: inputs per timed call
    corpus_tokens: int = 0             # word2vec: corpus size

    def with_overrides(self, **overrides):
        """The same workload with some sizes changed (the sweep uses seq and batch)."""
        unknown = set(overrides) - {field.name for field in dataclasses.fields(self)}
        if unknown:
            raise ValueError(f"workload {self.name}: unknown override(s) {sorted(unknown)}")
        return dataclasses.replace(self, **overrides)

    @property
    def samples_per_step(self):
        """How many samples one timed call processes (the unit of samples/s)."""
        if self.kind == "predict":
            return self.predict_samples
        if self.kind == "word2vec":
            return self.corpus_tokens
        return self.batch

    @property
    def unit(self):
        return "words/s" if self.kind == "word2vec" else "samples/s"


_DLW6 = "DLW ch.6"
WORKLOADS = {
    workload.name: workload
    for workload in [
        Workload("lstm", _DLW6, "Embedding(8000,32) -> LSTM(32) -> Dense(1) sigmoid; seq 200, batch 128, RMSprop, BCE",
                 cell="lstm"),
        Workload("gru", _DLW6, "Embedding(8000,32) -> GRU(32) -> Dense(1) sigmoid; seq 200, batch 128, RMSprop, BCE",
                 cell="gru"),
        Workload("rnn", _DLW6,
                 "Embedding(8000,32) -> SimpleRNN(32) -> Dense(1) sigmoid; seq 200, batch 128, RMSprop, BCE",
                 cell="rnn"),
        Workload("cnn", "LM-3", "Conv32 3x3 relu -> Conv64 3x3 relu -> MaxPool2 -> Flatten -> Dense128 relu -> "
                 "Dense10 softmax; 28x28x1, batch 128, Adam, categorical CE",
                 model="cnn", optimizer="adam", loss="categorical_crossentropy"),
        Workload("cifar_cnn", "DLW Ex 3.04", "Conv64 3x3 relu -> MaxPool2 -> Conv128 3x3 relu -> MaxPool2 -> "
                 "Flatten -> Dense128 relu -> Dense10 softmax; 32x32x3 (CIFAR-10's shape), batch 16, Adam, "
                 "sparse categorical CE", model="cifar_cnn", batch=16, optimizer="adam",
                 loss="sparse_categorical_crossentropy"),
        Workload("lm6", "LM-6", "Embedding(5000,32) -> LSTM(100) -> Dense(1) sigmoid; seq 500, batch 64, Adam, BCE",
                 cell="lstm", units=100, vocab=5000, seq=500, batch=64, optimizer="adam"),
        Workload("bilstm", _DLW6, "Embedding(8000,32) -> Bidirectional(LSTM(32)) -> Dense(1) sigmoid; seq 200, "
                 "batch 128, RMSprop, BCE", cell="bilstm"),
        Workload("stacked_lstm", _DLW6, "Embedding(8000,32) -> LSTM(32, return_sequences) -> LSTM(32) -> Dense(1) "
                 "sigmoid; seq 200, batch 128, RMSprop, BCE", cell="stacked_lstm"),
        Workload("dcgan", "DLW Ex 7.05", "DCGAN step: generator predict on 128 noise vectors, discriminator "
                 "train_on_batch on 128 real + 128 fake, GAN train_on_batch on 128 (frozen discriminator); "
                 "Adam(2e-4, beta_1=0.5), BCE", kind="gan", model="dcgan", batch=128, optimizer="adam"),
        Workload("imdb_dense", "GB-2A", "multi-hot(10000) -> Dense50 relu, Dropout.3, Dense50 relu, Dropout.2, "
                 "Dense50 relu, Dense1 sigmoid; batch 500, Adam, BCE", model="dense_multihot", vocab=10000,
                 batch=500, optimizer="adam"),
        Workload("word2vec", "DLW ch.4", "word2vec CBOW, gensim-3 defaults (dim 100, window 5, negative 5), one "
                 "epoch over a synthetic Zipf corpus of 200,000 tokens (vocabulary 5,000)", kind="word2vec",
                 model="word2vec", vocab=5000, corpus_tokens=200_000),
        Workload("lstm_predict", _DLW6, "predict() of the lstm workload's model on 4096 sequences, batch_size 512",
                 kind="predict", cell="lstm", batch=512, predict_samples=4096),
        Workload("cnn_predict", "LM-3", "predict() of the cnn workload's model on 2048 images, batch_size 256",
                 kind="predict", model="cnn", optimizer="adam", loss="categorical_crossentropy", batch=256,
                 predict_samples=2048),
    ]
}

DEFAULT_WORKLOADS = ["lstm", "gru", "rnn", "cnn"]

SWEEP_WORKLOAD = "lstm"
SWEEP_SEQ_LENGTHS = (50, 100, 200, 400)
SWEEP_BATCH_SIZES = (32, 64, 128, 256)
SWEEP_DATASET_SIZES = (1280, 2560, 5120)   # samples per epoch for the epoch-time sweep


def get(name):
    try:
        return WORKLOADS[name]
    except KeyError:
        raise ValueError(f"unknown workload {name!r}; known: {', '.join(WORKLOADS)}") from None


# -- synthetic data ---------------------------------------------------------------------------
def training_data(workload, samples, seed=0):
    """(x, y) as NumPy arrays in Keras's layout: channels-last images, (batch, seq) token ids."""
    rng = np.random.default_rng(seed)
    if workload.model == "rnn_classifier":
        x = rng.integers(0, workload.vocab, size=(samples, workload.seq), dtype=np.int64)
        y = rng.integers(0, 2, size=(samples, 1)).astype(np.float32)
    elif workload.model == "cnn":
        x = rng.random((samples, 28, 28, 1), dtype=np.float32)
        y = np.eye(10, dtype=np.float32)[rng.integers(0, 10, size=samples)]
    elif workload.model == "cifar_cnn":
        x = rng.random((samples, 32, 32, 3), dtype=np.float32)
        y = rng.integers(0, 10, size=samples)  # class ids, for the sparse loss
    elif workload.model == "dense_multihot":
        x = (rng.random((samples, workload.vocab)) < 0.02).astype(np.float32)  # ~200 distinct words a review
        y = rng.integers(0, 2, size=(samples, 1)).astype(np.float32)
    elif workload.model == "dcgan":
        x = rng.uniform(-1, 1, size=(samples, 28, 28, 1)).astype(np.float32)  # "real" images in [-1, 1)
        y = None
    else:
        raise ValueError(f"workload {workload.name}: no array data for model {workload.model!r}")
    return x, y


def gan_noise(batch, rng, latent_dim=100):
    """The lab's generator input: uniform in [-1, 1), 100 features."""
    return rng.uniform(-1, 1, size=(batch, latent_dim)).astype(np.float32)


def zipf_corpus(tokens, vocab, seed=0, sentence_length=20):
    """A list of sentences (lists of word strings) with word frequencies ~ 1/rank, like text."""
    rng = np.random.default_rng(seed)
    ranks = np.arange(1, vocab + 1, dtype=np.float64)
    probabilities = (1.0 / ranks) / np.sum(1.0 / ranks)
    ids = rng.choice(vocab, size=tokens, p=probabilities)
    words = np.array([f"w{index}" for index in range(vocab)])[ids]
    return [list(words[start:start + sentence_length]) for start in range(0, tokens, sentence_length)]
