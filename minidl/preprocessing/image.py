"""``ImageDataGenerator``: Keras-style random image augmentation, for channels-last images.

Each image (height, width, channels) gets one random affine map, sampled like Keras does:

* rotation ``theta`` uniform in ``[-rotation_range, rotation_range]`` degrees;
* shifts ``tx`` (rows) and ``ty`` (columns): uniform in ``[-r, r]`` for a float ``r``, times the
  height/width when ``r < 1`` (a fraction) and in pixels otherwise; a list/tuple of values is
  sampled from, with a random sign for each (Keras's "choice" form);
* shear angle uniform in ``[-shear_range, shear_range]`` **degrees** (as in Keras);
* zoom factors ``zx`` (rows), ``zy`` (columns) each uniform in ``[1 - z, 1 + z]`` (or in
  ``[lo, hi]`` if ``zoom_range`` is a pair); values > 1 zoom *out*;
* horizontal/vertical flips each with probability 1/2 when enabled.

The transform matrix
--------------------
In homogeneous (row, column) coordinates the map is::

    R = [[cos t, -sin t, 0], [sin t, cos t, 0], [0, 0, 1]]       rotation by t = theta
    S = [[1, 0, tx], [0, 1, ty], [0, 0, 1]]                      shift
    H = [[1, -sin s, 0], [0, cos s, 0], [0, 0, 1]]               shear by s = shear
    Z = [[zx, 0, 0], [0, zy, 0], [0, 0, 1]]                      zoom
    M = R @ S @ H @ Z   (factors that are the identity are left out)
    C(o) = [[1, 0, o_r], [0, 1, o_c], [0, 0, 1]],  o_r = h / 2 + 0.5,  o_c = w / 2 + 0.5
    A = C(o) @ M @ C(-o)                                         about the image centre

and every channel is resampled with ``scipy.ndimage.affine_transform(channel, A[:2, :2],
offset=A[:2, 2], order=1, mode=fill_mode, cval=cval)``: the output pixel at ``p`` takes the
input value at ``A @ p`` (so a positive ``tx`` moves the content up).  This is Keras's
``apply_affine_transform`` with its defaults.  As in Keras, flips follow the affine map, and only
then does :meth:`ImageDataGenerator.standardize` run (``preprocessing_function``, then ``rescale``,
then the sample-wise and feature-wise centring and scaling).

``flow(x, y)`` and ``flow_from_directory(directory)`` return :class:`ImageBatches`, a
``Sequence``-like object (``len``, ``[i]``, ``on_epoch_end()``) that is also an endless iterator,
so it works both with a Keras-style ``fit`` and with ``next()``.  Augmentation is reproducible:
with a ``seed`` the same epoch and batch index always give the same images.
"""

import math

import numpy as np

from minidl.preprocessing.image_io import COLOR_MODES, list_class_folders, load_img

FILL_MODES = ("constant", "nearest", "reflect", "wrap")
CLASS_MODES = ("categorical", "binary", "sparse", "input", None)


def _scipy_affine_transform():
    try:
        from scipy import ndimage
    except ImportError as error:
        raise ImportError("ImageDataGenerator's geometric transforms need scipy: pip install scipy") from error
    return ndimage.affine_transform


def transform_matrix(theta=0.0, tx=0.0, ty=0.0, shear=0.0, zx=1.0, zy=1.0, height=None, width=None):
    """The 3x3 matrix ``A`` of the module docstring (about the centre when height/width given)."""
    matrix = np.eye(3)
    if theta != 0:
        angle = np.deg2rad(theta)
        matrix = matrix @ np.array([[np.cos(angle), -np.sin(angle), 0], [np.sin(angle), np.cos(angle), 0], [0, 0, 1]])
    if tx != 0 or ty != 0:
        matrix = matrix @ np.array([[1, 0, tx], [0, 1, ty], [0, 0, 1]], dtype=np.float64)
    if shear != 0:
        angle = np.deg2rad(shear)
        matrix = matrix @ np.array([[1, -np.sin(angle), 0], [0, np.cos(angle), 0], [0, 0, 1]])
    if zx != 1 or zy != 1:
        matrix = matrix @ np.array([[zx, 0, 0], [0, zy, 0], [0, 0, 1]], dtype=np.float64)
    if height is not None and width is not None:
        centre_row, centre_col = height / 2 + 0.5, width / 2 + 0.5
        to_centre = np.array([[1, 0, centre_row], [0, 1, centre_col], [0, 0, 1]])
        from_centre = np.array([[1, 0, -centre_row], [0, 1, -centre_col], [0, 0, 1]])
        matrix = to_centre @ matrix @ from_centre
    return matrix


def apply_affine_transform(x, theta=0.0, tx=0.0, ty=0.0, shear=0.0, zx=1.0, zy=1.0, fill_mode="nearest",
                           cval=0.0, order=1):
    """Apply the affine map to one channels-last image ``x`` (h, w, c); returns a new array."""
    if theta == 0 and tx == 0 and ty == 0 and shear == 0 and zx == 1 and zy == 1:
        return x
    affine_transform = _scipy_affine_transform()
    matrix = transform_matrix(theta, tx, ty, shear, zx, zy, height=x.shape[0], width=x.shape[1])
    channels = [
        affine_transform(x[:, :, channel], matrix[:2, :2], offset=matrix[:2, 2], order=order, mode=fill_mode, cval=cval)
        for channel in range(x.shape[2])
    ]
    return np.stack(channels, axis=2)


def _number(who, argument, value, minimum=None, maximum=None, above_minimum=False):
    """``value`` as a float if it is a finite real number within the bounds given, else a
    ValueError naming the argument (NaN would pass every ``<`` check silently). The messages
    match ``minidl.layers.arguments.number``'s; preprocessing, a host utility, cannot import it."""
    valid = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))
    valid = valid and math.isfinite(value)
    if valid and minimum is not None:
        valid = value > minimum if above_minimum else value >= minimum
    if valid and maximum is not None:
        valid = value <= maximum
    if not valid:
        bounds = [f"> {minimum}" if above_minimum else f">= {minimum}"] if minimum is not None else []
        bounds += [f"<= {maximum}"] if maximum is not None else []
        raise ValueError(f"{who}: {argument} must be {' and '.join(bounds) or 'a finite number'}, got {value!r}")
    return float(value)


class ImageDataGenerator:
    """Random augmentation and normalisation settings; see the module docstring."""

    def __init__(self, featurewise_center=False, samplewise_center=False, featurewise_std_normalization=False,
                 samplewise_std_normalization=False, rotation_range=0.0, width_shift_range=0.0,
                 height_shift_range=0.0, shear_range=0.0, zoom_range=0.0, fill_mode="nearest", cval=0.0,
                 horizontal_flip=False, vertical_flip=False, rescale=None, preprocessing_function=None,
                 validation_split=0.0, dtype="float32", interpolation_order=1):
        if fill_mode not in FILL_MODES:
            raise ValueError(f"ImageDataGenerator: fill_mode must be one of {FILL_MODES}, got {fill_mode!r}")
        if not 0 <= validation_split < 1:
            raise ValueError(f"ImageDataGenerator: validation_split must be in [0, 1), got {validation_split!r}")
        who = "ImageDataGenerator"
        if isinstance(zoom_range, (tuple, list)) and len(zoom_range) == 2:
            zoom_range = tuple(_number(who, "zoom_range", z, minimum=0, above_minimum=True)
                               for z in zoom_range)
        elif isinstance(zoom_range, (tuple, list)):
            raise ValueError(f"{who}: zoom_range must be a float or a pair (lo, hi), got {zoom_range!r}")
        else:
            zoom = _number(who, "zoom_range", zoom_range, minimum=0, maximum=1, above_minimum=False)
            zoom_range = (1 - zoom, 1 + zoom)
            if zoom == 1:
                raise ValueError(f"{who}: zoom_range must be < 1 (a zoom of 1 - zoom_range = 0 is no image), got 1")
        for name, value in (("rotation_range", rotation_range), ("shear_range", shear_range)):
            _number(who, name, value, minimum=0)
        for name, value in (("width_shift_range", width_shift_range), ("height_shift_range", height_shift_range)):
            for shift in value if isinstance(value, (tuple, list, np.ndarray)) else [value]:
                _number(who, name, shift)
        _number(who, "cval", cval)
        if rescale is not None:
            _number(who, "rescale", rescale)
        self.featurewise_center = featurewise_center
        self.samplewise_center = samplewise_center
        self.featurewise_std_normalization = featurewise_std_normalization
        self.samplewise_std_normalization = samplewise_std_normalization
        self.rotation_range = rotation_range
        self.width_shift_range = width_shift_range
        self.height_shift_range = height_shift_range
        self.shear_range = shear_range
        self.zoom_range = zoom_range
        self.fill_mode = fill_mode
        self.cval = cval
        self.horizontal_flip = horizontal_flip
        self.vertical_flip = vertical_flip
        self.rescale = rescale
        self.preprocessing_function = preprocessing_function
        self.validation_split = validation_split
        self.dtype = dtype
        self.interpolation_order = interpolation_order
        self.mean = None
        self.std = None

    # -- random parameters and their application -------------------------------------------------

    def get_random_transform(self, img_shape, rng=None):
        """A dict of transform parameters for an image of ``img_shape`` (h, w, c)."""
        rng = rng if rng is not None else np.random.default_rng()
        theta = rng.uniform(-self.rotation_range, self.rotation_range) if self.rotation_range else 0.0
        tx = _shift(self.height_shift_range, img_shape[0], rng)
        ty = _shift(self.width_shift_range, img_shape[1], rng)
        shear = rng.uniform(-self.shear_range, self.shear_range) if self.shear_range else 0.0
        if self.zoom_range[0] == 1 and self.zoom_range[1] == 1:
            zx, zy = 1.0, 1.0
        else:
            zx, zy = rng.uniform(self.zoom_range[0], self.zoom_range[1], 2)
        flip_horizontal = bool(self.horizontal_flip and rng.random() < 0.5)
        flip_vertical = bool(self.vertical_flip and rng.random() < 0.5)
        return {"theta": theta, "tx": tx, "ty": ty, "shear": shear, "zx": zx, "zy": zy,
                "flip_horizontal": flip_horizontal, "flip_vertical": flip_vertical}

    def apply_transform(self, x, params):
        """Apply a parameter dict from :meth:`get_random_transform` to one image."""
        x = apply_affine_transform(
            x, params.get("theta", 0.0), params.get("tx", 0.0), params.get("ty", 0.0), params.get("shear", 0.0),
            params.get("zx", 1.0), params.get("zy", 1.0), fill_mode=self.fill_mode, cval=self.cval,
            order=self.interpolation_order,
        )
        if params.get("flip_horizontal", False):
            x = x[:, ::-1, :]
        if params.get("flip_vertical", False):
            x = x[::-1, :, :]
        return np.ascontiguousarray(x)

    def random_transform(self, x, seed=None):
        """One randomly transformed copy of ``x`` (h, w, c)."""
        rng = np.random.default_rng(seed)
        return self.apply_transform(x, self.get_random_transform(x.shape, rng))

    def standardize(self, x):
        """Normalise one image or a batch: ``preprocessing_function``, ``rescale``, centring, scaling."""
        if self.preprocessing_function is not None:
            x = self.preprocessing_function(x)
        if self.rescale:
            x = x * self.rescale
        if self.samplewise_center:
            x = x - np.mean(x, keepdims=True)
        if self.samplewise_std_normalization:
            x = x / (np.std(x, keepdims=True) + 1e-6)
        if self.featurewise_center:
            if self.mean is None:
                raise ValueError("ImageDataGenerator: featurewise_center needs fit(x) first")
            x = x - self.mean
        if self.featurewise_std_normalization:
            if self.std is None:
                raise ValueError("ImageDataGenerator: featurewise_std_normalization needs fit(x) first")
            x = x / (self.std + 1e-6)
        return x

    def fit(self, x):
        """Compute the per-channel mean and std for the feature-wise options from images ``x``."""
        x = np.asarray(x, dtype=np.float64)
        if x.ndim != 4:
            raise ValueError(f"ImageDataGenerator.fit: x must be (samples, h, w, channels), got shape {x.shape}")
        if self.rescale:
            x = x * self.rescale
        self.mean = np.mean(x, axis=(0, 1, 2), keepdims=True)[0].astype(self.dtype)
        self.std = np.std(x, axis=(0, 1, 2), keepdims=True)[0].astype(self.dtype)

    # -- batch sources ------------------------------------------------------------------------------

    def flow(self, x, y=None, batch_size=32, shuffle=True, seed=None, sample_weight=None, subset=None):
        """Batches of augmented ``x`` (N, h, w, c) with their labels ``y`` kept aligned."""
        x = np.asarray(x)
        if x.ndim != 4:
            raise ValueError(f"ImageDataGenerator.flow: x must be (samples, h, w, channels), got shape {x.shape}")
        if y is not None:
            y = np.asarray(y)
            if len(y) != len(x):
                raise ValueError(f"ImageDataGenerator.flow: x has {len(x)} samples but y has {len(y)}")
        if sample_weight is not None:
            sample_weight = np.asarray(sample_weight)
            if len(sample_weight) != len(x):
                raise ValueError(f"ImageDataGenerator.flow: sample_weight has {len(sample_weight)} rows, x has {len(x)}")
        rows = self._subset_rows(len(x), subset)

        def load(index):
            return x[index]

        return ImageBatches(self, load, len(x) if rows is None else rows, y, batch_size, shuffle, seed,
                            sample_weight=sample_weight)

    def flow_from_directory(self, directory, target_size=(256, 256), color_mode="rgb", classes=None,
                            class_mode="categorical", batch_size=32, shuffle=True, seed=None, subset=None):
        """Batches read from ``directory/<class>/<images>``, resized to ``target_size`` (h, w).

        ``class_mode``: ``categorical`` (one-hot float), ``binary`` (0/1 float), ``sparse``
        (int labels), ``input`` (the images themselves) or ``None`` (images only).
        """
        if color_mode not in COLOR_MODES:
            raise ValueError(f"flow_from_directory: color_mode must be one of {sorted(COLOR_MODES)}, got {color_mode!r}")
        if class_mode not in CLASS_MODES:
            raise ValueError(f"flow_from_directory: class_mode must be one of {CLASS_MODES}, got {class_mode!r}")
        paths, labels, class_names = list_class_folders(directory, classes=classes)
        if class_mode == "binary" and len(class_names) != 2:
            raise ValueError(
                f"flow_from_directory: class_mode='binary' needs exactly 2 class folders, {directory} has {class_names}"
            )
        if not paths:
            raise ValueError(f"flow_from_directory: no image files under the class folders of {directory}")
        rows = self._subset_rows(len(paths), subset)
        if class_mode == "categorical":
            targets = np.eye(len(class_names), dtype=self.dtype)[labels]
        elif class_mode == "binary":
            targets = labels.astype(self.dtype)
        elif class_mode == "sparse":
            targets = labels
        else:
            targets = None

        def load(index):
            return load_img(paths[index], color_mode=color_mode, target_size=target_size)

        batches = ImageBatches(self, load, len(paths) if rows is None else rows, targets, batch_size, shuffle, seed,
                               targets_are_inputs=(class_mode == "input"))
        batches.filenames = [str(path) for path in paths]
        batches.classes = labels
        batches.class_indices = {name: index for index, name in enumerate(class_names)}
        batches.image_shape = tuple(target_size) + (COLOR_MODES[color_mode],)
        return batches

    def _subset_rows(self, count, subset):
        """The sample indices of ``subset`` ('training'/'validation': the last fraction), or None."""
        if subset is None:
            return None
        if subset not in ("training", "validation"):
            raise ValueError(f"ImageDataGenerator: subset must be 'training', 'validation' or None, got {subset!r}")
        if not self.validation_split:
            raise ValueError("ImageDataGenerator: subset needs validation_split > 0")
        cut = int(math.ceil(self.validation_split * count))
        return np.arange(cut, count) if subset == "training" else np.arange(cut)


def _shift(shift_range, size, rng):
    """One random shift in pixels for a ``*_shift_range`` setting (see the module docstring)."""
    if isinstance(shift_range, (list, tuple, np.ndarray)):
        if len(shift_range) == 0:
            return 0.0
        value = float(rng.choice(np.asarray(shift_range))) * rng.choice([-1, 1])
        limit = float(np.max(shift_range))
    elif shift_range:
        value = rng.uniform(-shift_range, shift_range)
        limit = float(shift_range)
    else:
        return 0.0
    return value * size if limit < 1 else value


class ImageBatches:
    """Augmented batches as a ``Sequence`` (``len``, ``[index]``, ``on_epoch_end``) and an endless
    iterator.  Batch ``i`` of epoch ``e`` is deterministic given the seed.
    """

    def __init__(self, generator, load, samples, targets, batch_size, shuffle, seed, sample_weight=None,
                 targets_are_inputs=False):
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size <= 0:
            raise ValueError(f"ImageDataGenerator: batch_size must be a positive int, got {batch_size!r}")
        self.generator = generator
        self._load = load
        self.rows = np.arange(samples) if isinstance(samples, (int, np.integer)) else np.asarray(samples)
        self.n = len(self.rows)
        self.targets = targets
        self.sample_weight = sample_weight
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.seed = int(seed) if seed is not None else int(np.random.randint(0, 2**31 - 1))
        self.targets_are_inputs = targets_are_inputs
        self.epoch = 0
        self._next_batch = 0
        self._order = self._epoch_order()

    def __len__(self):
        return int(math.ceil(self.n / self.batch_size))

    @property
    def samples(self):
        """The number of images (Keras's ``DirectoryIterator.samples``, used for steps_per_epoch)."""
        return self.n

    def _epoch_order(self):
        if not self.shuffle:
            return self.rows
        return self.rows[np.random.default_rng([self.seed, self.epoch]).permutation(self.n)]

    def on_epoch_end(self):
        """Start the next epoch: a new shuffle order and new random transforms."""
        self.epoch += 1
        self._order = self._epoch_order()

    def __getitem__(self, index):
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(f"batch index {index} out of range for {len(self)} batches")
        rows = self._order[index * self.batch_size:(index + 1) * self.batch_size]
        rng = np.random.default_rng([self.seed, self.epoch, index])
        images = []
        for row in rows:
            image = np.asarray(self._load(row)).astype(self.generator.dtype)
            params = self.generator.get_random_transform(image.shape, rng)
            image = self.generator.apply_transform(image, params)
            images.append(self.generator.standardize(image))
        batch_x = np.stack(images).astype(self.generator.dtype, copy=False)
        if self.targets_are_inputs:
            return batch_x, batch_x.copy()
        if self.targets is None:
            return batch_x
        batch = (batch_x, self.targets[rows])
        if self.sample_weight is not None:
            batch = batch + (self.sample_weight[rows],)
        return batch

    def __iter__(self):
        return self

    def __next__(self):
        if self._next_batch >= len(self):
            self._next_batch = 0
            self.on_epoch_end()
        batch = self[self._next_batch]
        self._next_batch += 1
        return batch
