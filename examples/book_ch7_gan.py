"""The Deep Learning Workshop, chapter 7: GANs -- a sine-curve GAN, and DCGANs on MNIST and Fashion-MNIST.

The book's code (its notebooks; in this chapter an "epoch" is ONE batch)::

    # Ex 7.01-7.04: real data is 128 points of sin() around loc ~ N(3, 1); fake inputs randn(128, 10)
    def realData(loc, batch):
        xr = np.arange(loc, loc + (0.1*batch/2), 0.1)[0:int(batch/2)]
        xl = np.arange(loc - (0.1*batch/2), loc, 0.1)
        X1 = np.concatenate((xl, xr)); X2 = np.sin(X1)
        return np.concatenate((X1.reshape(batch, 1), X2.reshape(batch, 1)), axis=1), np.ones((batch, 1))
    Genmodel: Dense(32, linear) -> 32 relu -> 64 elu -> 32 elu -> 32 selu (all he_uniform)
              -> Dense(2, selu) (default glorot_uniform)                        6,722 params
    Discmodel: Dense(16, relu, he_uniform) x3 -> Dense(1, sigmoid); compile(binary_crossentropy,
               adam, metrics=['accuracy'])                                      609 params
    def ganModel(Genmodel, Discmodel):
        Discmodel.trainable = False
        Ganmodel = Sequential(); Ganmodel.add(Genmodel); Ganmodel.add(Discmodel)
        Ganmodel.compile(loss='binary_crossentropy', optimizer='adam')   # 7,331 params, 609 frozen
    for i in range(20000):
        loc = np.random.normal(3, 1, 1)
        x_real, y_real = realData(loc, batch); x_fake, y_fake = fakedataGenerator(Genmodel, batch, infeats)
        Discmodel.train_on_batch(x_real, y_real); Discmodel.train_on_batch(x_fake, y_fake)
        gan_model.train_on_batch(fakeInputs(batch, infeats), np.ones((batch, 1)))   # inverted labels
        if i % 2000 == 0:   # evaluate D on a fresh real and fake batch, print, save a scatter plot
            print('Real accuracy:{R},Fake accuracy:{F}'.format(...))

    # Ex 7.05 / Act 7.01: images scaled to [-1, 1], inputs uniform(-1, 1, (batch, 100))
    Genmodel: Dense(512) relu BN -> Dense(3136) relu BN -> Reshape(7,7,64)
              -> Conv2DTranspose(32, 5x5, /2, same) relu BN -> Conv2DTranspose(1, 5x5, /2, same) tanh
              1,727,233 params (7,360 non-trainable)
    Discmodel: Conv2D(32, 5x5, /2, same) LeakyReLU(.2) -> Conv2D(64, ...) LeakyReLU(.2) -> Flatten
               -> Dense(512) LeakyReLU(.2) -> Dense(1, sigmoid)                1,658,753 params
    both compiled with Adam(lr=0.0002, beta_1=0.5)
    for i in range(5000):
        X = np.concatenate([realData(batch), fakedataGenerator(Genmodel, batch, infeats)])
        Y = np.zeros(batch * 2); Y[:batch] = 1
        Discmodel.train_on_batch(X, Y)
        gan_model.train_on_batch(fakeInputs(batch*2, infeats), np.ones((batch*2, 1)))
        if i % 50 == 0:
            preds = Discmodel.predict_proba(np.concatenate([realData(10), fakedataGenerator(Genmodel, 10, infeats)]))
            print('Discriminator probability:{D}'.format(D=np.mean(preds)))   # book: ~0.5
            # and a 5x5 grid of generated images is saved

Labs (``--lab``): ``sine`` (Ex 7.01-7.04), ``dcgan-mnist`` (Ex 7.05), ``dcgan-fashion``
(Act 7.01), ``upsampling`` (the UpSampling2D / Conv2DTranspose demos), ``all``. ``--steps``
overrides the number of "epochs" (20,000 for the sine GAN, 5,000 for the DCGANs);
``--batch-size`` is the book's ``batch`` (128); ``--epochs`` is not used.

The GAN relies on Keras 2's rule that ``compile`` captures the trainable weights: the
discriminator, compiled while trainable, keeps learning in its own ``train_on_batch`` after
``Discmodel.trainable = False``, while the GAN, compiled after that line, updates only the
generator (TF 2.0 printed a "Discrepancy between trainable weights" warning about exactly this).
minidl's ``compile`` captures the same way; the script checks that the discriminator's weights
move in its own step and stay put in the GAN's step.

Quirks reproduced as written:

* Exercise 7.03 trains the discriminator alone against an untrained generator for the same
  20,000 batches (its loop is Exercise 7.04's without the GAN update; it prints every 4,000);
* the "accuracy" printed for the sine GAN is measured on one fresh batch of 128 real and one of
  128 fake points, so it is noisy; the discriminator probability printed for the DCGAN is the
  mean over 10 real and 10 fake images, which is 0.5 both when the discriminator is completely
  fooled and when it is perfectly right (1 on real, 0 on fake). The script therefore adds, marked
  as not in the book, the mean probability on the real and on the fake half;
* ``Genmodel.predict`` runs BatchNormalization with its moving averages while the GAN step runs
  it with batch statistics, so the fakes the discriminator trains on come from a slightly
  different network than the one the GAN step trains (Keras behaves the same);
* ``realData`` reloads all of MNIST on every call in the book; here the data is loaded once;
* the book's DCGAN exercise text says it prints every 10 epochs, its notebook every 50; 50 is
  used. The notebook saved a grid at every print (100 files); here a grid is saved every
  ``--grid-every`` batches (default 500) and after the last one;
* NumPy 2 no longer lets ``np.arange`` take the book's one-element ``loc`` array, so its value is
  used; ``np.arange(loc - 6.4, loc, 0.1)`` occasionally returns 65 points (about 1 draw in
  100,000, which would crash the book's ``reshape``), so the left half is cut to 64 points as
  the book already does for the right half.

    python examples/book_ch7_gan.py --lab sine                 # ~2 min here
    python examples/book_ch7_gan.py --lab dcgan-mnist --steps 200
    python examples/book_ch7_gan.py --lab upsampling
    python examples/book_ch7_gan.py --quick
"""

import time

import numpy as np
from _common import parse_args, setup, write_metrics

from minidl import viz
from minidl.datasets import fashion_mnist, mnist
from minidl.layers import Activation, BatchNormalization, Dense, Flatten, LeakyReLU, Reshape
from minidl.layers.convolutional import Conv2D, Conv2DTranspose, UpSampling2D
from minidl.models import Sequential
from minidl.optimizers import Adam

LABS = ("sine", "dcgan-mnist", "dcgan-fashion", "upsampling")
SINE_STEPS, DCGAN_STEPS = 20000, 5000
INFEATS_SINE, OUTFEATS_SINE, INFEATS_DCGAN = 10, 2, 100
BOOK_EX7_01_LOC = 1.9143694
BOOK_UPSAMPLED = np.array([[1, 1, 2, 2, 3, 3], [1, 1, 2, 2, 3, 3], [4, 4, 5, 5, 6, 6],
                           [4, 4, 5, 5, 6, 6], [7, 7, 8, 8, 9, 9], [7, 7, 8, 8, 9, 9]], dtype=np.float32)


def extra_arguments(parser):
    parser.add_argument("--lab", choices=[*LABS, "all"], default="all", help="which exercise to run (default: all)")
    parser.add_argument("--steps", type=int, default=None,
                        help=f"the book's 'epochs' = batches (default: {SINE_STEPS} sine, {DCGAN_STEPS} DCGAN)")
    parser.add_argument("--grid-every", type=int, default=500, help="DCGAN: save a 5x5 sample grid every N batches (default 500)")


# ----------------------------------------------------------------------------- plotting


def scatter(path, fake=None, real=None, title=None):
    plt = viz.pyplot()
    plt.figure()
    if real is not None:
        plt.scatter(real[:, 0], real[:, 1], color="red")
    if fake is not None:
        plt.scatter(fake[:, 0], fake[:, 1], color="blue")
    plt.xlabel("Feature 1 of the distribution")
    plt.ylabel("Feature 2 of the distribution")
    if title:
        plt.title(title)
    viz.save_figure(plt.gcf(), path, dpi=80)


def save_grid(images, path, title):
    """A 5x5 grid drawn as the book draws it (gray_r: dark strokes on white)."""
    viz.image_grid(images[:25], path, rows=5, cols=5, cmap="gray_r", value_range=(-1, 1))
    print(f"saved {path.name} ({title})")


# ----------------------------------------------------------------------------- UpSampling2D / Conv2DTranspose demo

def run_upsampling(out):
    print("\n=== UpSampling2D and Conv2DTranspose (the building blocks before Exercise 7.05) ===")
    model = Sequential()
    model.add(UpSampling2D(input_shape=(3, 3, 1)))
    model.summary()
    x = np.array([[1, 2, 3], [4, 5, 6], [7, 8, 9]])
    print("X.shape:", x.shape)
    x = x.reshape((1, 3, 3, 1))
    print("X.shape:", x.shape)
    # Keras casts the int array to the model's float32; minidl keeps integer inputs as they are
    # (so Embedding ids survive), hence the explicit cast to get the book's float output.
    y = model.predict(x.astype("float32"))
    print("y[0,:,:,0]:")
    print(repr(y[0, :, :, 0]))
    upsampling_exact = bool(np.array_equal(y[0, :, :, 0], BOOK_UPSAMPLED))
    print("equals the book's 6x6 nearest-neighbour repeat:", upsampling_exact)

    model = Sequential()
    model.add(Conv2DTranspose(1, (4, 4), (2, 2), padding="same", input_shape=(3, 3, 1)))
    model.summary()
    y = model.predict(x.astype("float32"))
    print("y.shape:", y.shape)
    print("y[0,:,:,0] (random weights; the book says 'the output you get may vary'):")
    print(repr(y[0, :, :, 0]))
    return {"upsampling_matches_book": upsampling_exact, "conv2d_transpose_params": model.count_params(),
            "conv2d_transpose_output_shape": list(y.shape), "lab_reference": {"conv2d_transpose_params": 17}}


# ----------------------------------------------------------------------------- sine GAN (Ex 7.01-7.04)

def real_data(loc, batch):
    """The book's realData: 128 equally spaced points around loc and their sine, labelled 1."""
    half = int(batch / 2)
    xr = np.arange(loc, loc + (0.1 * batch / 2), 0.1)
    xr = xr[0:half]
    xl = np.arange(loc - (0.1 * batch / 2), loc, 0.1)
    xl = xl[0:half]  # not in the book: floating-point rounding can leave 65 points here
    x1 = np.concatenate((xl, xr))
    x2 = np.sin(x1)
    x = np.concatenate((x1.reshape(batch, 1), x2.reshape(batch, 1)), axis=1)
    return x, np.ones((batch, 1))


def fake_inputs_sine(rng, batch, infeats):
    return rng.standard_normal(infeats * batch).reshape(batch, infeats)


def fake_data_sine(generator, rng, batch, infeats):
    return generator.predict(fake_inputs_sine(rng, batch, infeats)), np.zeros((batch, 1))


def sine_generator(infeats, outfeats):
    model = Sequential()
    model.add(Dense(32, activation="linear", kernel_initializer="he_uniform", input_dim=infeats))
    model.add(Dense(32, activation="relu", kernel_initializer="he_uniform"))
    model.add(Dense(64, activation="elu", kernel_initializer="he_uniform"))
    model.add(Dense(32, activation="elu", kernel_initializer="he_uniform"))
    model.add(Dense(32, activation="selu", kernel_initializer="he_uniform"))
    model.add(Dense(outfeats, activation="selu"))
    return model


def sine_discriminator(outfeats):
    model = Sequential()
    model.add(Dense(16, activation="relu", kernel_initializer="he_uniform", input_dim=outfeats))
    model.add(Dense(16, activation="relu", kernel_initializer="he_uniform"))
    model.add(Dense(16, activation="relu", kernel_initializer="he_uniform"))
    model.add(Dense(1, activation="sigmoid"))
    model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
    return model


def gan_model(generator, discriminator, optimizer="adam"):
    """The book's ganModel: freeze the (already compiled) discriminator, stack, compile."""
    discriminator.trainable = False
    model = Sequential()
    model.add(generator)
    model.add(discriminator)
    model.compile(loss="binary_crossentropy", optimizer=optimizer)
    return model


def distance_to_sine(points):
    """Not in the book: mean |y - sin(x)| of generated points (0 = exactly on the curve)."""
    return float(np.mean(np.abs(points[:, 1] - np.sin(points[:, 0]))))


def evaluate_sine(discriminator, generator, rng, loc, batch):
    x_real, y_real = real_data(loc, batch)
    _, real_accuracy = discriminator.evaluate(x_real, y_real, verbose=0)
    x_fake, y_fake = fake_data_sine(generator, rng, batch, INFEATS_SINE)
    _, fake_accuracy = discriminator.evaluate(x_fake, y_fake, verbose=0)
    return float(real_accuracy), float(fake_accuracy), x_real, x_fake


def run_sine(args, out, rng):
    batch = args.batch_size
    steps = args.steps or (300 if args.quick else SINE_STEPS)
    every = max(1, steps // 10)

    print("\n=== Exercise 7.01: a data distribution from a known function ===")
    book_rng = np.random.RandomState(123)  # the book's np.random.seed(123)
    loc = book_rng.normal(3, 1, 1)
    print("loc:", repr(loc))
    xr = np.arange(loc[0], loc[0] + (0.1 * 64), 0.1)
    xl = np.arange(loc[0] - (0.1 * 64), loc[0], 0.1)
    x1 = np.concatenate((xl, xr))
    print(x1)
    x2 = np.sin(x1)
    plt = viz.pyplot()
    plt.figure()
    plt.plot(x1, x2)
    plt.xlabel("Data Distribution")
    plt.ylabel("Sine of data distribution")
    viz.save_figure(plt.gcf(), out / "ex7.01_sine.png", dpi=80)
    real = np.concatenate((x1.reshape(128, 1), x2.reshape(128, 1)), axis=1)
    print("realData.shape:", real.shape)
    ex701_exact = bool(f"{loc[0]:.7f}" == f"{BOOK_EX7_01_LOC:.7f}" and f"{x1[0]:.7f}" == "-4.4856306"
                       and f"{x1[-1]:.7f}" == "8.2143694" and len(x1) == 128)
    print("loc and the 128 points match the book's printout (1.9143694; -4.4856306 ... 8.2143694):", ex701_exact)

    print("\n=== Exercise 7.02: the generator ===")
    gen_input = rng.standard_normal(INFEATS_SINE * batch).reshape(batch, INFEATS_SINE)
    print(gen_input.shape)
    generator = sine_generator(INFEATS_SINE, OUTFEATS_SINE)
    generator.summary()
    fake_samples = generator.predict(gen_input)
    print(fake_samples.shape)
    scatter(out / "ex7.02_fake_untrained.png", fake=fake_samples, title="Exercise 7.02: untrained generator")

    print(f"\n=== Exercise 7.03: the discriminator alone, {steps} batches ===")
    discriminator = sine_discriminator(OUTFEATS_SINE)
    discriminator.summary()
    generator = sine_generator(INFEATS_SINE, OUTFEATS_SINE)
    generator.summary()
    print_every_d = max(1, steps // 5)
    for i in range(steps):
        loc = rng.normal(3, 1)
        x_real, y_real = real_data(loc, batch)
        x_fake, y_fake = fake_data_sine(generator, rng, batch, INFEATS_SINE)
        discriminator.train_on_batch(x_real, y_real)
        discriminator.train_on_batch(x_fake, y_fake)
        if i % print_every_d == 0:
            real_accuracy, fake_accuracy, _, _ = evaluate_sine(discriminator, generator, rng, loc, batch)
            print(f"Real accuracy:{real_accuracy},Fake accuracy:{fake_accuracy}")
    ex703 = {"final_real_accuracy": real_accuracy, "final_fake_accuracy": fake_accuracy,
             "lab_reference": {"final_real_accuracy": 1.0, "final_fake_accuracy": 0.9453125}}

    print(f"\n=== Exercise 7.04: the GAN, {steps} batches ===")
    discriminator = sine_discriminator(OUTFEATS_SINE)
    discriminator.summary()
    generator = sine_generator(INFEATS_SINE, OUTFEATS_SINE)
    generator.summary()
    x_fake, _ = fake_data_sine(generator, rng, batch, INFEATS_SINE)
    scatter(out / "ex7.04_fake_before_training.png", fake=x_fake, title="Exercise 7.04: before training")
    initial_distance = distance_to_sine(x_fake)
    gan = gan_model(generator, discriminator)
    gan.summary()
    history, started = [], time.perf_counter()
    for i in range(steps):
        loc = rng.normal(3, 1)
        x_real, y_real = real_data(loc, batch)
        x_fake, y_fake = fake_data_sine(generator, rng, batch, INFEATS_SINE)
        discriminator.train_on_batch(x_real, y_real)
        discriminator.train_on_batch(x_fake, y_fake)
        x_gan = fake_inputs_sine(rng, batch, INFEATS_SINE)
        y_gan = np.ones((batch, 1))
        gan.train_on_batch(x_gan, y_gan)
        if i % every == 0:
            real_accuracy, fake_accuracy, x_real, x_fake = evaluate_sine(discriminator, generator, rng, loc, batch)
            print(f"Real accuracy:{real_accuracy},Fake accuracy:{fake_accuracy}")
            history.append((real_accuracy, fake_accuracy, distance_to_sine(x_fake)))
            scatter(out / ("GAN_Training_Plot%03d.png" % i), fake=x_fake, real=x_real, title=f"epoch {i}")
    seconds = time.perf_counter() - started
    x_fake, _ = fake_data_sine(generator, rng, batch, INFEATS_SINE)
    x_real, _ = real_data(rng.normal(3, 1), batch)
    scatter(out / "ex7.04_fake_after_training.png", fake=x_fake, real=x_real, title=f"after {steps} epochs")
    final_distance = distance_to_sine(x_fake)
    frozen_check = check_frozen_discriminator(generator, discriminator, gan, rng, batch)
    last = history[-3:]
    print(f"(not in the book) mean |y - sin(x)| of generated points: {initial_distance:.3f} before training, "
          f"{final_distance:.3f} after; training took {seconds:.1f} s ({1000 * seconds / steps:.2f} ms per batch)")
    return {
        "ex7.01_matches_book": ex701_exact,
        "ex7.02_generator_params": generator.count_params(), "ex7.03": ex703,
        "ex7.04": {
            "steps": steps, "discriminator_params": discriminator.count_params(), "gan_params": gan.count_params(),
            "gan_trainable_params": int(sum(int(np.prod(w.shape)) for w in gan.trainable_weights)),
            "final_real_accuracy": history[-1][0], "final_fake_accuracy": history[-1][1],
            "mean_accuracy_last_3_evaluations": float(np.mean([(r + f) / 2 for r, f, _ in last])),
            "distance_to_sine_before": initial_distance, "distance_to_sine_after": final_distance,
            "seconds": seconds, **frozen_check,
            "lab_reference": {"final_real_accuracy": 0.5625, "final_fake_accuracy": 0.859375,
                              "gan_params": 7331, "gan_non_trainable_params": 609},
        },
    }


def check_frozen_discriminator(generator, discriminator, gan, rng, batch):
    """Keras 2's compile-time capture: D's own step moves D; the GAN step moves only G."""
    def snapshot(model):
        return [w.copy() for w in model.get_weights()]

    def moved(before, model):
        return any(not np.array_equal(a, b) for a, b in zip(before, model.get_weights()))

    weights_d, weights_g = snapshot(discriminator), snapshot(generator)
    gan.train_on_batch(fake_inputs_sine(rng, batch, INFEATS_SINE), np.ones((batch, 1)))
    gan_moves_d, gan_moves_g = moved(weights_d, discriminator), moved(weights_g, generator)
    weights_d = snapshot(discriminator)
    x_real, y_real = real_data(rng.normal(3, 1), batch)
    discriminator.train_on_batch(x_real, y_real)
    d_step_moves_d = moved(weights_d, discriminator)
    print(f"compile-time capture: GAN step moves the generator {gan_moves_g}, the discriminator {gan_moves_d}; "
          f"the discriminator's own step moves it {d_step_moves_d}")
    return {"gan_step_moves_generator": gan_moves_g, "gan_step_moves_discriminator": gan_moves_d,
            "discriminator_step_moves_discriminator": d_step_moves_d}


# ----------------------------------------------------------------------------- DCGAN (Ex 7.05, Act 7.01)

def dcgan_generator(infeats):
    model = Sequential()
    model.add(Dense(512, input_dim=infeats))
    model.add(Activation("relu"))
    model.add(BatchNormalization())
    # second layer of FC => RElu => BN layers
    model.add(Dense(7 * 7 * 64))
    model.add(Activation("relu"))
    model.add(BatchNormalization())
    # upsample to 14 x 14
    model.add(Reshape((7, 7, 64)))
    model.add(Conv2DTranspose(32, kernel_size=(5, 5), strides=(2, 2), padding="same"))
    model.add(Activation("relu"))
    model.add(BatchNormalization(axis=-1))
    # upsample to 28 x 28
    model.add(Conv2DTranspose(1, kernel_size=(5, 5), strides=(2, 2), padding="same"))
    model.add(Activation("tanh"))
    return model


def dcgan_discriminator():
    model = Sequential()
    model.add(Conv2D(32, kernel_size=(5, 5), strides=(2, 2), padding="same", input_shape=(28, 28, 1)))
    model.add(LeakyReLU(0.2))
    model.add(Conv2D(64, kernel_size=(5, 5), strides=(2, 2), padding="same"))
    model.add(LeakyReLU(0.2))
    model.add(Flatten())
    model.add(Dense(512))
    model.add(LeakyReLU(0.2))
    model.add(Dense(1, activation="sigmoid"))
    model.compile(loss="binary_crossentropy", optimizer=Adam(learning_rate=0.0002, beta_1=0.5), metrics=["accuracy"])
    return model


def run_dcgan(args, out, rng, dataset):
    title = {"mnist": "Exercise 7.05: DCGAN on MNIST", "fashion": "Activity 7.01: DCGAN on Fashion-MNIST"}[dataset]
    tag = {"mnist": "dcgan_mnist", "fashion": "dcgan_fashion"}[dataset]
    loader = {"mnist": mnist, "fashion": fashion_mnist}[dataset]
    batch = min(args.batch_size, 16) if args.quick else args.batch_size
    steps = args.steps or (3 if args.quick else DCGAN_STEPS)
    print_every = 1 if args.quick else 50
    print(f"\n=== {title}: {steps} batches of {batch} real + {batch} fake ===")

    (x_train, _), (_, _) = loader.load_data()
    images = x_train[:, :, :, np.newaxis]
    images = (images.astype("float32") - 127.5) / 127.5

    def real_batch(size):
        return images[rng.integers(0, images.shape[0], size=size)]

    def fake_inputs(size):
        return rng.uniform(-1, 1, size=[size, INFEATS_DCGAN])

    def fake_batch(size):
        return generator.predict(fake_inputs(size))

    save_grid(real_batch(25), out / f"{tag}_real.png", "25 real images")
    generator = dcgan_generator(INFEATS_DCGAN)
    generator.summary()
    fake = fake_batch(batch)
    print(fake.shape)
    save_grid(fake, out / f"{tag}_fake_before_training.png", "the untrained generator")
    discriminator = dcgan_discriminator()
    discriminator.summary()
    gan = gan_model(generator, discriminator, optimizer=Adam(learning_rate=0.0002, beta_1=0.5))
    gan.summary()

    probabilities, started, first_20 = [], time.perf_counter(), None
    for i in range(steps):
        x_real = real_batch(batch)
        x_fake = fake_batch(batch)
        x = np.concatenate([x_real, x_fake])
        y = np.zeros(batch * 2)
        y[:batch] = 1
        d_loss, d_accuracy = discriminator.train_on_batch(x, y)
        x_gan = fake_inputs(batch * 2)
        y_gan = np.ones((batch * 2, 1))
        g_loss = gan.train_on_batch(x_gan, y_gan)
        if i + 1 == min(20, steps):
            first_20 = (time.perf_counter() - started) / (i + 1)
            print(f"(timing) the first {i + 1} batches took {first_20:.2f} s each: "
                  f"{steps} batches would take about {first_20 * steps / 60:.1f} min here")
        if i % print_every == 0:
            x_test = np.concatenate([real_batch(10), fake_batch(10)])
            preds = discriminator.predict_proba(x_test)
            probabilities.append((float(np.mean(preds)), float(np.mean(preds[:10])), float(np.mean(preds[10:]))))
            print("Discriminator probability:{D}".format(D=np.mean(preds))
                  + f"   (not in the book: real {probabilities[-1][1]:.3f}, fake {probabilities[-1][2]:.3f})")
        if i % args.grid_every == 0 or i == steps - 1:
            save_grid(fake_batch(25), out / f"{tag}_step{i:04d}.png", f"after {i + 1} batches")
    seconds = time.perf_counter() - started
    save_grid(fake_batch(25), out / f"{tag}_after_training.png", f"after training, {steps} batches")
    last = probabilities[-10:]
    print(f"training took {seconds:.1f} s ({seconds / steps:.2f} s per batch)")
    return {
        "steps": steps, "batch": batch, "generator_params": generator.count_params(),
        "discriminator_params": discriminator.count_params(), "gan_params": gan.count_params(),
        "final_discriminator_probability": probabilities[-1][0],
        "mean_probability_last_prints": float(np.mean([p for p, _, _ in last])),
        "mean_probability_on_real_last_prints": float(np.mean([r for _, r, _ in last])),
        "mean_probability_on_fake_last_prints": float(np.mean([f for _, _, f in last])),
        "final_discriminator_loss": float(d_loss), "final_discriminator_accuracy": float(d_accuracy),
        "final_gan_loss": float(g_loss), "seconds": seconds, "seconds_per_step_first_20": first_20,
        "estimated_minutes_for_5000_steps": first_20 * DCGAN_STEPS / 60,
        "lab_reference": {"discriminator_probability": 0.5, "generator_params": 1727233,
                          "generator_non_trainable_params": 7360, "discriminator_params": 1658753,
                          "gan_params": 3385986},
    }


def main(argv=None):
    args = parse_args(__doc__, epochs=1, batch_size=128, extra_arguments=extra_arguments, argv=argv)
    started = time.perf_counter()
    out = setup(args, "book_ch7_gan")
    labs = LABS if args.lab == "all" else (args.lab,)
    rng = np.random.default_rng(args.seed)  # the book's global np.random draws
    metrics = {}
    if "upsampling" in labs:
        metrics["upsampling"] = run_upsampling(out)
    if "sine" in labs:
        metrics["sine"] = run_sine(args, out, rng)
    if "dcgan-mnist" in labs:
        metrics["dcgan_mnist"] = run_dcgan(args, out, rng, "mnist")
    if "dcgan-fashion" in labs:
        metrics["dcgan_fashion"] = run_dcgan(args, out, rng, "fashion")
    write_metrics(out, metrics, args, started)
    return metrics


if __name__ == "__main__":
    main()
