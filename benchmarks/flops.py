"""FLOP counts per sample of the workloads built from matrix products, for the column "fraction
of the SGEMM limit": how close a framework comes to what the machine's BLAS can do.

What is counted: the multiply-adds of the matrix products (2 FLOP each) -- dense layers, the
input and recurrent products of the recurrent cells, convolutions and transposed convolutions
(im2col or not, a convolution is a matrix product of this size). Element-wise work, pooling,
batch normalisation, losses and the optimizer are not counted: they are memory-bound, and a
framework that spends long on them shows it as a lower fraction.

A training step costs three products per layer of the same size: the forward product, the
weight gradient and the input gradient. The first layer of a model needs no input gradient
(its input is data), except inside the GAN's generator step, where the discriminator passes its
input gradient back to the generator. Inference costs the forward product only.
"""


def dense_macs(inputs, units):
    """Multiply-adds of ``Dense(units)`` on ``inputs`` features, per sample."""
    return inputs * units


def conv_macs(out_height, out_width, kernel_height, kernel_width, in_channels, out_channels):
    """Multiply-adds of a convolution per sample: each output position is a dot product of
    kernel_height * kernel_width * in_channels with each of out_channels filters."""
    return out_height * out_width * kernel_height * kernel_width * in_channels * out_channels


def transposed_conv_macs(in_height, in_width, kernel_height, kernel_width, in_channels, out_channels):
    """Multiply-adds of a transposed convolution per sample: every input position scatters a
    kernel_height * kernel_width * out_channels patch from each of in_channels values."""
    return in_height * in_width * kernel_height * kernel_width * in_channels * out_channels


def recurrent_macs(steps, features, units, gates):
    """Multiply-adds of a recurrent layer per sample: at every step the input product
    (features x gates*units) and the recurrent product (units x gates*units)."""
    return steps * (features + units) * gates * units


def training_flops(layer_macs):
    """FLOP per sample of one training step: forward, weight and input gradients of every
    layer, but no input gradient for the first."""
    return 2 * (3 * sum(layer_macs) - layer_macs[0])


def inference_flops(layer_macs):
    return 2 * sum(layer_macs)


# -- the labs' models --------------------------------------------------------------------------

LM3_CNN = [conv_macs(26, 26, 3, 3, 1, 32), conv_macs(24, 24, 3, 3, 32, 64),
           dense_macs(12 * 12 * 64, 128), dense_macs(128, 10)]

EX304_CNN = [conv_macs(30, 30, 3, 3, 3, 64), conv_macs(13, 13, 3, 3, 64, 128),
             dense_macs(6 * 6 * 128, 128), dense_macs(128, 10)]

GB2A_DENSE = [dense_macs(10000, 50), dense_macs(50, 50), dense_macs(50, 50), dense_macs(50, 1)]

DCGAN_GENERATOR = [dense_macs(100, 512), dense_macs(512, 7 * 7 * 64),
                   transposed_conv_macs(7, 7, 5, 5, 64, 32), transposed_conv_macs(14, 14, 5, 5, 32, 1)]
DCGAN_DISCRIMINATOR = [conv_macs(14, 14, 5, 5, 1, 32), conv_macs(7, 7, 5, 5, 32, 64),
                       dense_macs(7 * 7 * 64, 512), dense_macs(512, 1)]


def dcgan_step_flops_per_sample():
    """One lab step for a batch of B (counted per each of the B samples):

    1. the generator's forward on B noise vectors;
    2. the discriminator trained on 2B images (B real, B fake);
    3. the combined model trained on B: generator forward and all three products, and the
       frozen discriminator's forward and input gradients (no weight gradients), its first layer
       included, since the gradient flows on into the generator.
    """
    generator, discriminator = sum(DCGAN_GENERATOR), sum(DCGAN_DISCRIMINATOR)
    generate = 2 * generator
    train_discriminator = 2 * training_flops(DCGAN_DISCRIMINATOR)
    train_generator = training_flops(DCGAN_GENERATOR) + 2 * (2 * discriminator)
    return generate + train_discriminator + train_generator


def rnn_classifier_macs(workload):
    """Embedding (a lookup: no product) -> recurrent layer(s) -> Dense(1)."""
    gates = {"lstm": 4, "bilstm": 4, "stacked_lstm": 4, "gru": 3, "rnn": 1}[workload.cell]
    layer = recurrent_macs(workload.seq, workload.embed_dim, workload.units, gates)
    if workload.cell == "bilstm":
        return [2 * layer, dense_macs(2 * workload.units, 1)]
    if workload.cell == "stacked_lstm":
        return [layer, recurrent_macs(workload.seq, workload.units, workload.units, gates),
                dense_macs(workload.units, 1)]
    return [layer, dense_macs(workload.units, 1)]


def flops_per_sample(workload):
    """FLOP per sample of one timed call of ``workload``, or None where the count means little
    (word2vec's work is gathers and scatters, not products)."""
    if workload.kind == "word2vec":
        return None
    if workload.kind == "gan":
        return dcgan_step_flops_per_sample()
    if workload.model == "cnn":
        macs = LM3_CNN
    elif workload.model == "cifar_cnn":
        macs = EX304_CNN
    elif workload.model == "dense_multihot":
        macs = GB2A_DENSE
    elif workload.model == "rnn_classifier":
        macs = rnn_classifier_macs(workload)
        # The embedding's output needs its gradient, so the recurrent layer's input gradient counts.
        if workload.kind == "train":
            return 2 * 3 * sum(macs)
    else:
        return None
    return inference_flops(macs) if workload.kind == "predict" else training_flops(macs)
