"""The workloads in PyTorch, written the way a PyTorch user would: ``nn.Module``s with the same
layer sizes, ``batch_first`` recurrent layers, NCHW images, the same optimizer with Keras's
hyper-parameters (RMSprop rho 0.9, eps 1e-7; Adam eps 1e-7), and a plain training step
(zero_grad, forward, loss, backward, step). Classification with softmax uses
``cross_entropy`` on logits with class indices, PyTorch's idiomatic (and fastest) form of
softmax + categorical cross-entropy.
"""

import os

import numpy as np
import workloads

NAME = "torch"


def setup(backend_name=None):
    import torch

    torch.set_num_threads(os.cpu_count())
    torch.manual_seed(0)


def versions():
    import torch

    return {"torch": torch.__version__, "torch_threads": torch.get_num_threads()}


def _optimizer(workload, parameters):
    import torch

    if workload.model == "dcgan":
        return torch.optim.Adam(parameters, lr=0.0002, betas=(0.5, 0.999), eps=1e-7)
    if workload.optimizer == "rmsprop":
        return torch.optim.RMSprop(parameters, lr=0.001, alpha=0.9, eps=1e-7)
    if workload.optimizer == "adam":
        return torch.optim.Adam(parameters, lr=0.001, eps=1e-7)
    raise ValueError(f"workload {workload.name}: no PyTorch optimizer for {workload.optimizer!r}")


# -- models -----------------------------------------------------------------------------------
def _recurrent_classifier(workload):
    import torch
    from torch import nn

    class RecurrentClassifier(nn.Module):
        """Embedding -> recurrent layer(s) -> last step's output -> Dense(1) sigmoid."""

        def __init__(self):
            super().__init__()
            self.embedding = nn.Embedding(workload.vocab, workload.embed_dim)
            size, units = workload.embed_dim, workload.units
            if workload.cell == "lstm":
                self.recurrent = nn.LSTM(size, units, batch_first=True)
            elif workload.cell == "gru":
                self.recurrent = nn.GRU(size, units, batch_first=True)
            elif workload.cell == "rnn":
                self.recurrent = nn.RNN(size, units, batch_first=True, nonlinearity="tanh")
            elif workload.cell == "bilstm":
                self.recurrent = nn.LSTM(size, units, batch_first=True, bidirectional=True)
            elif workload.cell == "stacked_lstm":
                self.recurrent = nn.LSTM(size, units, num_layers=2, batch_first=True)
            else:
                raise ValueError(f"workload {workload.name}: unknown recurrent cell {workload.cell!r}")
            outputs = 2 * units if workload.cell == "bilstm" else units
            self.output = nn.Linear(outputs, 1)

        def forward(self, ids):
            sequence, _ = self.recurrent(self.embedding(ids))
            if workload.cell == "bilstm":
                # Keras's Bidirectional(LSTM) concatenates the forward's last step and the
                # backward's last step (which is the backward direction's output at time 0)
                units = workload.units
                last = torch.cat([sequence[:, -1, :units], sequence[:, 0, units:]], dim=1)
            else:
                last = sequence[:, -1, :]
            return self.output(last).sigmoid()

    return RecurrentClassifier()


def _cnn():
    from torch import nn

    return nn.Sequential(
        nn.Conv2d(1, 32, 3), nn.ReLU(),
        nn.Conv2d(32, 64, 3), nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(12 * 12 * 64, 128), nn.ReLU(),
        nn.Linear(128, 10),  # logits; the softmax is inside cross_entropy
    )


def _cifar_cnn():
    from torch import nn

    return nn.Sequential(
        nn.Conv2d(3, 64, 3), nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(64, 128, 3), nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(6 * 6 * 128, 128), nn.ReLU(),
        nn.Linear(128, 10),  # logits; the softmax is inside cross_entropy
    )


def _dense_multihot(workload):
    from torch import nn

    return nn.Sequential(
        nn.Linear(workload.vocab, 50), nn.ReLU(), nn.Dropout(0.3),
        nn.Linear(50, 50), nn.ReLU(), nn.Dropout(0.2),
        nn.Linear(50, 50), nn.ReLU(),
        nn.Linear(50, 1), nn.Sigmoid(),
    )


def build_model(workload):
    if workload.model == "rnn_classifier":
        return _recurrent_classifier(workload)
    if workload.model == "cnn":
        return _cnn()
    if workload.model == "cifar_cnn":
        return _cifar_cnn()
    if workload.model == "dense_multihot":
        return _dense_multihot(workload)
    raise ValueError(f"workload {workload.name}: no PyTorch model for {workload.model!r}")


def _inputs(x):
    """Keras-layout NumPy inputs -> a PyTorch tensor (images go NHWC -> NCHW)."""
    import torch

    if x.ndim == 4:
        return torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))
    return torch.from_numpy(x)


def _tensors(workload, x, y):
    """(inputs, targets) as tensors; one-hot targets become class indices for cross_entropy."""
    import torch

    targets = y.argmax(axis=1) if workload.loss == "categorical_crossentropy" else y
    return _inputs(x), torch.from_numpy(targets)


def _loss_function(workload):
    from torch.nn import functional

    if workload.loss in ("categorical_crossentropy", "sparse_categorical_crossentropy"):
        return functional.cross_entropy
    return functional.binary_cross_entropy


# -- timed steps ------------------------------------------------------------------------------
def build_step(workload):
    import torch

    if workload.kind == "word2vec":
        raise NotImplementedError("PyTorch has no built-in word2vec")
    if workload.kind == "gan":
        return _gan_step(workload)
    model = build_model(workload)
    if workload.kind == "predict":
        x, _ = workloads.training_data(workload, workload.predict_samples)
        x_tensor = _inputs(x)
        model.eval()

        def predict():
            with torch.inference_mode():
                return [model(x_tensor[start:start + workload.batch]) for start in range(0, len(x_tensor), workload.batch)]

        return predict
    x, y = workloads.training_data(workload, workload.batch)
    return _train_on_batch(workload, model, *_tensors(workload, x, y))


def _train_on_batch(workload, model, x_tensor, y_tensor):
    optimizer = _optimizer(workload, model.parameters())
    loss_function = _loss_function(workload)
    model.train()

    def step():
        optimizer.zero_grad()
        loss = loss_function(model(x_tensor), y_tensor)
        loss.backward()
        optimizer.step()
        return loss.item()

    return step


def build_epoch(workload, samples):
    """One epoch over ``samples`` samples in shuffled mini-batches, as a DataLoader would do."""
    import torch

    model = build_model(workload)
    x, y = workloads.training_data(workload, samples)
    x_tensor, y_tensor = _tensors(workload, x, y)
    optimizer = _optimizer(workload, model.parameters())
    loss_function = _loss_function(workload)
    model.train()

    def epoch():
        order = torch.randperm(samples)
        for start in range(0, samples, workload.batch):
            batch = order[start:start + workload.batch]
            optimizer.zero_grad()
            loss = loss_function(model(x_tensor[batch]), y_tensor[batch])
            loss.backward()
            optimizer.step()

    return epoch


def _dcgan_models():
    from torch import nn

    generator = nn.Sequential(
        nn.Linear(100, 512), nn.ReLU(), nn.BatchNorm1d(512, eps=1e-3, momentum=0.01),
        nn.Linear(512, 7 * 7 * 64), nn.ReLU(), nn.BatchNorm1d(7 * 7 * 64, eps=1e-3, momentum=0.01),
        nn.Unflatten(1, (64, 7, 7)),
        nn.ConvTranspose2d(64, 32, 5, stride=2, padding=2, output_padding=1), nn.ReLU(),
        nn.BatchNorm2d(32, eps=1e-3, momentum=0.01),
        nn.ConvTranspose2d(32, 1, 5, stride=2, padding=2, output_padding=1), nn.Tanh(),
    )
    discriminator = nn.Sequential(
        nn.Conv2d(1, 32, 5, stride=2, padding=2), nn.LeakyReLU(0.2),
        nn.Conv2d(32, 64, 5, stride=2, padding=2), nn.LeakyReLU(0.2),
        nn.Flatten(),
        nn.Linear(7 * 7 * 64, 512), nn.LeakyReLU(0.2),
        nn.Linear(512, 1), nn.Sigmoid(),
    )
    return generator, discriminator


def _gan_step(workload):
    """The lab's three phases: generate fakes (inference mode, like Keras's predict), train the
    discriminator on real + fake, train the generator through the discriminator with the
    discriminator's weights frozen (requires_grad off, as Keras's trainable=False)."""
    import torch
    from torch.nn import functional

    generator, discriminator = _dcgan_models()
    generator_optimizer = _optimizer(workload, generator.parameters())
    discriminator_optimizer = _optimizer(workload, discriminator.parameters())
    batch = workload.batch
    rng = np.random.default_rng(0)
    real, _ = workloads.training_data(workload, batch)
    real = torch.from_numpy(np.ascontiguousarray(real.transpose(0, 3, 1, 2)))
    noise_for_fakes = torch.from_numpy(workloads.gan_noise(batch, rng))
    noise_for_generator = torch.from_numpy(workloads.gan_noise(batch, rng))
    labels = torch.cat([torch.ones(batch, 1), torch.zeros(batch, 1)])
    fooled = torch.ones(batch, 1)

    def set_discriminator_trainable(trainable):
        for parameter in discriminator.parameters():
            parameter.requires_grad_(trainable)

    def step():
        generator.eval()
        with torch.no_grad():
            fake = generator(noise_for_fakes)
        generator.train()
        set_discriminator_trainable(True)
        discriminator_optimizer.zero_grad()
        loss = functional.binary_cross_entropy(discriminator(torch.cat([real, fake])), labels)
        loss.backward()
        discriminator_optimizer.step()
        set_discriminator_trainable(False)
        generator_optimizer.zero_grad()
        loss = functional.binary_cross_entropy(discriminator(generator(noise_for_generator)), fooled)
        loss.backward()
        generator_optimizer.step()

    return step
