"""word2vec on minidl: skip-gram and CBOW with negative sampling (Mikolov et al., 2013).

The model is two embedding tables, ``input_vectors`` (the word vectors we keep) and
``output_vectors`` (one per word as a prediction target). For a (context, target) pair and k
words drawn at random as negatives, the loss is

    -log sigmoid(v_target . h) - sum over negatives n of log sigmoid(-v_n . h)

where h is the context word's input vector (skip-gram) or the mean of the window's input
vectors (CBOW; as in word2vec.c, each context word then receives the whole gradient of h). It is the binary cross-entropy of "is this the real target?" on the logit
v . h, so minidl's ``sigmoid_cross_entropy_with_logits`` and autograd train it: the gathers of
rows (``table[indices]``) backpropagate as scatter-adds into the tables.

Defaults are gensim 3's: vector_size 100, window 5, min_count 5, negative 5, sample 1e-3,
5 epochs, CBOW (sg=0) with the mean of the context (cbow_mean=1; 0 sums it), learning rate decaying linearly from 0.025
to 0.0001 over training, a "reduced window" (each centre word uses a random window of 1..window),
frequent-word subsampling keeping a word with probability (sqrt(f / (s T)) + 1) (s T) / f, and
negatives drawn from the unigram distribution raised to 0.75 (by Walker's alias method).

Pairs are generated with array operations over the whole corpus (no Python loop per word) and
trained in mini-batches of ``batch_size`` pairs with plain SGD, as word2vec does. Like gensim's
``workers`` threads (3 by default), up to ``workers`` processes train on shares of the corpus at
once, writing into the same tables (:meth:`Word2Vec.train`); ``workers=1`` is reproducible.

Two forms of the SGD step, equal to float rounding (tests hold them to it):

* the readable form (:meth:`Word2Vec._step_readable`): the loss above built from minidl ops,
  ``loss.backward()``, then ``table -= lr * table.grad`` -- the gathers backpropagate as
  scatter-adds into gradient tables as large as the vocabulary;
* the fast form (:meth:`Word2Vec._step_fast`): the same derivative written out by hand, with
  g = sigmoid(v . h) - label for each (pair, candidate),

      dL/dv_candidate = g h,      dL/dh = sum over candidates of g v_candidate,

  summed per word over the batch and applied to the rows the batch touched only. A batch of
  4,096 pairs touches a few thousand of the tens of thousands of rows, so it no longer reads and
  writes both whole tables every step. ``minidl.reference_ops()`` selects the readable form.

Where the time goes in the fast form (NumPy, one core): adding the rows' steps into the tables,
repeated rows summed (``backend.scatter_add``, numpy's add.at on flat indices, each pair of
float32 added as one complex64), is about half of it; gathering the candidate rows and the three
einsums most of the rest. The per-epoch preparation (encoding, windows, pairs) is a few array
operations over the corpus.
"""

import collections
import contextlib
import itertools
import time

import numpy as np

from minidl import ops
from minidl.autograd.function import no_grad
from minidl.autograd.tensor import Tensor
from minidl.layers.base import Parameter
from minidl.ops.forms import reference_forms_active
from minidl.ops.select import select
from minidl.runtime import backend, forked_workers
from minidl.text.keyed_vectors import KeyedVectors, checked_counts, checked_vocabulary
from minidl.text.saved_arrays import load_arrays, save_arrays

# Corpora with fewer words than this per worker train in one process, reproducibly: they take a
# fraction of a second anyway. (Forking is cheap: two processes on a 25,000-word corpus ran
# 1.8x faster than one, measured on the two-core benchmark machine.)
MIN_WORDS_PER_WORKER = 100_000

# What ``Word2Vec.save`` writes of the constructor's settings (``load`` passes them back).
_SAVED_SETTINGS = ("vector_size", "window", "min_count", "negative", "sample", "epochs", "alpha", "min_alpha", "sg",
                   "batch_size", "max_vocab_size", "workers", "cbow_mean")


class Word2Vec:
    def __init__(self, sentences=None, vector_size=100, window=5, min_count=5, negative=5,
                 sample=1e-3, epochs=5, alpha=0.025, min_alpha=0.0001, sg=0, seed=1,
                 batch_size=4096, max_vocab_size=None, verbose=False, workers=3, hs=0, cbow_mean=1,
                 size=None, iter=None):  # noqa: A002 - gensim 3's name
        self.vector_size = int(size if size is not None else vector_size)
        self.epochs = int(iter if iter is not None else epochs)
        for name, value in (("vector_size", self.vector_size), ("window", window), ("min_count", min_count),
                            ("epochs", self.epochs), ("batch_size", batch_size), ("workers", workers)):
            if int(value) <= 0:
                raise ValueError(f"Word2Vec: {name} must be a positive integer, got {value}")
        if negative < 1:
            raise ValueError(f"Word2Vec: negative must be >= 1 (only negative sampling is implemented), got {negative}")
        if hs:
            raise NotImplementedError(f"Word2Vec: hs={hs} (hierarchical softmax) is not implemented; minidl trains "
                                      "with negative sampling (hs=0, negative=5 by default)")
        if cbow_mean not in (0, 1):
            raise ValueError(f"Word2Vec: cbow_mean must be 1 (the mean of the context) or 0 (its sum), got {cbow_mean!r}")
        self.cbow_mean = int(cbow_mean)
        self.window, self.min_count, self.negative = int(window), int(min_count), int(negative)
        self.sample, self.alpha, self.min_alpha = float(sample), float(alpha), float(min_alpha)
        self.sg, self.batch_size, self.max_vocab_size = int(sg), int(batch_size), max_vocab_size
        self.verbose, self.workers = verbose, int(workers)
        self.rng = np.random.default_rng(seed)
        self.wv = None
        self.words_per_second = None
        if sentences is not None:
            self.build_vocab(sentences)
            self.train(sentences)

    @property
    def iter(self):  # noqa: A003 - gensim 3's name for epochs (``epochs=model.iter``)
        return self.epochs

    # -- saving ---------------------------------------------------------------------------------
    def save(self, path):
        """Write the model -- settings, vocabulary, both tables and the random state -- to ``path``
        atomically (gensim's ``model.save``), so that :meth:`load` can query it or train on. The
        file is a NumPy ``.npz`` archive (see ``minidl.text.saved_arrays``), not gensim's pickle."""
        if self.wv is None:
            raise ValueError("Word2Vec.save: the model has no vocabulary yet; build_vocab or train it first")
        settings = {name: getattr(self, name) for name in _SAVED_SETTINGS}
        settings["rng_state"] = self.rng.bit_generator.state
        arrays = {"words": np.array(self.wv.index_to_key, dtype=str), "counts": self.counts,
                  "vectors": backend.to_numpy(self.input_vectors.data),
                  "output_vectors": backend.to_numpy(self.output_vectors.data)}
        save_arrays(path, "Word2Vec", arrays, settings)

    @classmethod
    def load(cls, path):
        """A model written by :meth:`save`, ready to query (``model.wv``) or to train further."""
        where = f"Word2Vec.load: {path}"
        arrays, settings = load_arrays(path, "Word2Vec", ("words", "counts", "vectors", "output_vectors"))
        words, vectors = checked_vocabulary(arrays, where)
        counts, output_vectors = checked_counts(arrays["counts"], len(words), where), arrays["output_vectors"]
        if output_vectors.shape != vectors.shape:
            raise ValueError(f"{where}: 'output_vectors' must have the shape of 'vectors' {vectors.shape}, got "
                             f"{output_vectors.shape}")
        if not isinstance(settings, dict) or not set(_SAVED_SETTINGS) <= set(settings):
            raise ValueError(f"{where}: the file's settings are missing or incomplete")
        try:
            model = cls(**{name: settings[name] for name in _SAVED_SETTINGS if name != "vector_size"},
                        vector_size=vectors.shape[1])
        except (TypeError, ValueError, NotImplementedError) as error:
            raise ValueError(f"{where}: the file's settings are not valid: {error}") from None
        try:
            model.rng.bit_generator.state = settings.get("rng_state", model.rng.bit_generator.state)
        except (TypeError, ValueError, KeyError, OverflowError) as error:
            raise ValueError(f"{where}: the saved random state cannot be restored: {error}") from None
        model._set_vocabulary(words, counts, vectors.astype(np.float32),
                              output_vectors.astype(np.float32))
        return model

    # -- vocabulary ---------------------------------------------------------------------------
    def build_vocab(self, sentences):
        """Count words, keep those seen at least min_count times, most frequent first. Sets
        ``corpus_count`` (sentences) and ``corpus_total_words``, as gensim does."""
        _check_corpus(sentences)
        counts = collections.Counter(word for sentence in sentences for word in sentence)
        self.corpus_count = sum(1 for _ in sentences)
        self.corpus_total_words = sum(counts.values())
        kept = [(word, count) for word, count in counts.items() if count >= self.min_count]
        kept.sort(key=lambda item: (-item[1], item[0]))
        if self.max_vocab_size:
            kept = kept[: self.max_vocab_size]
        if not kept:
            raise ValueError(f"Word2Vec: no word occurs min_count={self.min_count} times; lower min_count")
        words = [word for word, _ in kept]
        rng = backend.host_rng() if self.rng is None else self.rng
        dimension = self.vector_size
        initial = (rng.random((len(words), dimension)) - 0.5) / dimension  # gensim's init
        self._set_vocabulary(words, np.array([count for _, count in kept], dtype=np.int64),
                             initial.astype(np.float32), np.zeros((len(words), dimension), np.float32))
        return self

    def _set_vocabulary(self, words, counts, input_vectors, output_vectors):
        """The vocabulary (words, most frequent first, and their counts), both tables and the
        noise distribution drawn from (unigram counts to the power 0.75)."""
        self.counts = counts
        self.word_index = {word: index for index, word in enumerate(words)}
        self.input_vectors = Parameter(backend.to_device(input_vectors), "word2vec/input_vectors")
        self.output_vectors = Parameter(backend.to_device(output_vectors), "word2vec/output_vectors")
        noise = self.counts.astype(np.float64) ** 0.75
        self.noise_keep, self.noise_alias = _alias_table(noise / noise.sum())
        self.wv = KeyedVectors(words, np.array(input_vectors, dtype=np.float32))  # a copy: the table will train
        self.wv.counts = counts

    def _encode(self, sentences):
        """The corpus as one int array of word ids plus each token's sentence number.

        Words out of the vocabulary are dropped. Ids are int32 (any vocabulary fits), which halves
        the memory that the windows and pairs built from them take.
        """
        sentences = [list(sentence) for sentence in sentences]
        tokens = itertools.chain.from_iterable(sentences)
        ids = np.fromiter(map(self.word_index.get, tokens, itertools.repeat(-1)), dtype=np.int32)
        sentence_numbers = np.repeat(np.arange(len(sentences), dtype=np.int32), [len(s) for s in sentences])
        known = ids >= 0
        return ids[known], sentence_numbers[known]

    def _subsample(self, ids, sentence_numbers):
        if not self.sample:
            return ids, sentence_numbers
        threshold = self.sample * self.counts.sum()
        frequency = self.counts[ids].astype(np.float64)
        keep_probability = (np.sqrt(frequency / threshold) + 1) * threshold / frequency
        keep = self.rng.random(len(ids)) < keep_probability
        return ids[keep], sentence_numbers[keep]

    # -- pairs ----------------------------------------------------------------------------------
    def _skipgram_pairs(self, ids, sentence_numbers):
        """(input word, target word) for every word and every neighbour in its reduced window."""
        reach = self.window - self.rng.integers(0, self.window, size=len(ids))
        inputs, targets = [], []
        for offset, centres, neighbours in _window_offsets(len(ids), self.window):
            ok = (reach[centres] >= offset) & (sentence_numbers[centres] == sentence_numbers[neighbours])
            inputs.append(ids[neighbours][ok])
            targets.append(ids[centres][ok])
        inputs, targets = np.concatenate(inputs), np.concatenate(targets)
        order = self.rng.permutation(len(inputs))
        return inputs[order], targets[order]

    def _cbow_windows(self, ids, sentence_numbers):
        """For every centre word, its window's word ids and the centre id.

        Each row holds the window's words from the left, nearest first, then -1 in the empty
        slots (the fast step relies on that: see :meth:`_step_fast`).
        """
        reach = self.window - self.rng.integers(0, self.window, size=len(ids))
        contexts = np.full((len(ids), 2 * self.window), -1, dtype=ids.dtype)
        filled = np.zeros(len(ids), dtype=np.intp)  # words placed so far in each window
        for offset, centres, neighbours in _window_offsets(len(ids), self.window):
            ok = (reach[centres] >= offset) & (sentence_numbers[centres] == sentence_numbers[neighbours])
            rows = np.flatnonzero(ok) + centres.start
            contexts[rows, filled[rows]] = ids[neighbours][ok]
            filled[rows] += 1
        kept = self.rng.permutation(np.flatnonzero(filled > 0))  # centres with a context, shuffled
        return contexts[kept], ids[kept]

    def _negatives(self, count):
        """(count, negative) word ids drawn from the noise distribution (unigram^0.75).

        Walker's alias method: pick a slot uniformly, keep its word with the slot's probability,
        else take the slot's alias -- two random numbers and two lookups per draw, where a
        search of the cumulative distribution costs log2(vocabulary) dependent lookups.
        """
        slots = self.rng.integers(0, len(self.noise_keep), size=(count, self.negative))
        keep = self.rng.random((count, self.negative)) < self.noise_keep[slots]
        return select(keep, slots, self.noise_alias[slots])  # where(), without a branch per draw

    # -- training: the readable form --------------------------------------------------------------
    def _candidates(self, targets):
        """Each pair's true target followed by ``negative`` noise words: (B, 1 + k) word ids."""
        return np.concatenate([targets[:, None], self._negatives(len(targets))], axis=1)

    def _batch_loss(self, hidden, candidates):
        """Negative-sampling loss of a batch: hidden (B, D) against the true and noise targets."""
        target_vectors = self.output_vectors[backend.to_device(candidates)]  # (B, 1+k, D)
        logits = (ops.expand_dims(hidden, 1) * target_vectors).sum(axis=-1)  # (B, 1+k)
        labels = np.zeros(candidates.shape, dtype=np.float32)
        labels[:, 0] = 1.0
        return ops.sigmoid_cross_entropy_with_logits(backend.to_device(labels), logits).sum()

    def _hidden(self, batch_inputs):
        if self.sg:
            return self.input_vectors[backend.to_device(batch_inputs)]
        # CBOW: the mean of the window's vectors; empty slots (-1) are masked out. word2vec.c and
        # gensim (cbow_mean=1) use the mean going forward but hand the *whole* gradient to every
        # context word going back (not 1/count of it). ``summed + (mean - summed).detach()`` has
        # the mean's value and the sum's gradient, which reproduces that update.
        mask = (batch_inputs >= 0).astype(np.float32)
        vectors = self.input_vectors[backend.to_device(np.maximum(batch_inputs, 0))]  # (B, 2w, D)
        summed = (vectors * Tensor(backend.to_device(mask[..., None]))).sum(axis=1)
        if not self.cbow_mean:  # gensim's cbow_mean=0: the sum of the window's vectors
            return summed
        count = backend.to_device(mask.sum(axis=1, keepdims=True))
        mean = summed * Tensor(1.0 / count)
        return summed + (mean - summed).detach()

    def _step_readable(self, batch_inputs, candidates, learning_rate, with_loss=True):
        """One SGD step through autograd; returns the batch's loss (computed either way)."""
        loss = self._batch_loss(self._hidden(batch_inputs), candidates)
        self.input_vectors.grad = self.output_vectors.grad = None
        loss.backward()
        with no_grad():
            self.input_vectors.data -= learning_rate * self.input_vectors.grad
            self.output_vectors.data -= learning_rate * self.output_vectors.grad
        self.input_vectors.grad = self.output_vectors.grad = None
        return loss.data

    # -- training: the fast form (must equal _step_readable) ------------------------------------
    def _step_fast(self, batch_inputs, candidates, learning_rate, with_loss=True):
        """The step of :meth:`_step_readable` with the derivative by hand and sparse row updates.

        With g = sigmoid(v . h) - label for each (example, candidate), the step is

            v_candidate -= lr g h,        each context row -= lr dL/dh = lr sum_k g v_k,

        added up over the batch where a row occurs more than once (``backend.scatter_add``), and
        only on the rows the batch touched. CBOW's windows are sorted by how many context words
        they hold (they are filled from the left, see :meth:`_cbow_windows`), so that column c of
        the sorted windows is filled for a leading block of them: the window sums and the
        context rows' updates then touch present words only, one block per column, instead of
        every one of the 2 x window slots of every window. The batch's loss is returned where
        ``with_loss`` asks for it (training asks only when verbose), else None.
        """
        xp = backend.get_xp()
        inputs_table, outputs_table = self.input_vectors.data, self.output_vectors.data
        if self.sg:
            context_ids = backend.to_device(batch_inputs)  # (B,): one input word per example
            hidden = xp.take(inputs_table, context_ids, axis=0)  # take: table[ids], 2-3x faster on NumPy
        else:
            sizes = (batch_inputs >= 0).sum(axis=1)
            order = np.argsort(-sizes, kind="stable")  # the fullest windows first
            windows, candidates, sizes = batch_inputs[order], candidates[order], sizes[order]
            filled = (sizes[:, None] > np.arange(windows.shape[1])).sum(axis=0)  # column c: windows[:filled[c]]
            columns = [backend.to_device(windows[: filled[c], c]) for c in range(len(filled)) if filled[c]]
            hidden = xp.zeros((len(windows), inputs_table.shape[1]), dtype=inputs_table.dtype)
            for column_ids in columns:
                hidden[: len(column_ids)] += xp.take(inputs_table, column_ids, axis=0)
            if self.cbow_mean:
                hidden /= backend.to_device(sizes[:, None].astype(inputs_table.dtype))  # the window's mean
        candidate_ids = backend.to_device(candidates)
        candidate_vectors = xp.take(outputs_table, candidate_ids, axis=0)  # (B, 1+k, D)
        logits = xp.einsum("bd,bkd->bk", hidden, candidate_vectors)
        loss = xp.logaddexp(0, -logits[:, 0]).sum() + xp.logaddexp(0, logits[:, 1:]).sum() if with_loss else None
        g = _sigmoid(logits)
        g[:, 0] -= 1  # dL/dlogit = sigmoid(logit) - label; the label is 1 for the true target only
        g *= -learning_rate  # from here on, steps rather than gradients
        hidden_step = xp.einsum("bk,bkd->bd", g, candidate_vectors)  # -lr dL/dh = -lr sum_k g v_k
        candidate_steps = xp.einsum("bk,bd->bkd", g, hidden)  # -lr dL/dv_candidate = -lr g h
        backend.scatter_add(outputs_table, candidate_ids.reshape(-1), candidate_steps.reshape(-1, hidden.shape[1]))
        if self.sg:
            backend.scatter_add(inputs_table, context_ids, hidden_step)
        else:  # each present context word receives the whole dL/dh (word2vec.c, see _hidden)
            for column_ids in columns:
                backend.scatter_add(inputs_table, column_ids, hidden_step[: len(column_ids)])
        return loss

    def train(self, sentences=None, total_examples=None, total_words=None, epochs=None, corpus_iterable=None):
        """Train on ``sentences`` (lists of tokens; gensim 4 calls them ``corpus_iterable``);
        returns self. Sets ``words_per_second``. ``total_examples`` / ``total_words`` are taken
        for gensim's signature (``model.train(s, total_examples=model.corpus_count,
        epochs=model.epochs)``); minidl counts the corpus itself.

        With ``workers`` > 1 each epoch's corpus is cut into one share per worker process, and
        the processes train on their shares at the same time, writing into the same tables
        without locks, as gensim's worker threads do (see ``minidl.runtime.forked_workers``).
        That needs Linux, the NumPy backend and ``MIN_WORDS_PER_WORKER`` words per worker;
        otherwise, and always with ``workers=1``, one process trains and the result is
        reproducible from ``seed``.
        """
        sentences = corpus_iterable if sentences is None else sentences
        if sentences is None:
            raise TypeError("Word2Vec.train: give the sentences to train on (lists of tokens)")
        _check_corpus(sentences)
        if self.wv is None:
            self.build_vocab(sentences)
        epochs = self.epochs if epochs is None else int(epochs)
        ids, sentence_numbers = self._encode(sentences)
        processes = forked_workers.process_count(self.workers, len(ids), MIN_WORDS_PER_WORKER)
        total_words = len(ids) * epochs
        processed_words = 0
        started = time.perf_counter()
        for epoch in range(epochs):
            if processes == 1:
                processed_words, loss, examples = self._train_share(ids, sentence_numbers, self.batch_size,
                                                                    processed_words, total_words, len(ids))
            else:
                loss, examples = self._train_epoch_in_processes(ids, sentence_numbers, processes,
                                                                epoch * len(ids), total_words)
            if self.verbose:
                print(f"word2vec epoch {epoch + 1}/{epochs}: {examples} training examples, "
                      f"mean loss {loss / max(1, examples):.4f}")
        elapsed = time.perf_counter() - started
        self.words_per_second = total_words / max(elapsed, 1e-9)
        self.wv.vectors = backend.to_numpy(self.input_vectors.data).copy()
        self.wv.invalidate()
        return self

    def _train_share(self, ids, sentence_numbers, batch_size, processed_words, total_words, epoch_words):
        """One epoch of SGD in batches of ``batch_size`` over ``ids`` (the corpus or a worker's share
        of it), drawing from ``self.rng``. The learning rate decays linearly with ``processed_words`` of
        ``total_words``; the share's batches stand for the ``epoch_words`` of the whole epoch.
        Returns (processed_words after it, summed loss (0 unless verbose), training examples)."""
        kept_ids, kept_sentences = self._subsample(ids, sentence_numbers)
        if self.sg:
            inputs, targets = self._skipgram_pairs(kept_ids, kept_sentences)
        else:
            inputs, targets = self._cbow_windows(kept_ids, kept_sentences)
        batches = range(0, len(targets), batch_size)
        words_per_batch = epoch_words / max(1, len(batches))
        summed_loss = 0.0
        step = self._step_readable if reference_forms_active() else self._step_fast
        for start in batches:
            progress = processed_words / total_words
            learning_rate = max(self.min_alpha, self.alpha - (self.alpha - self.min_alpha) * progress)
            batch = slice(start, start + batch_size)
            loss = step(inputs[batch], self._candidates(targets[batch]), learning_rate, with_loss=self.verbose)
            processed_words += words_per_batch
            summed_loss += float(backend.to_numpy(loss)) if self.verbose else 0.0
        return processed_words, summed_loss, len(targets)

    def _train_epoch_in_processes(self, ids, sentence_numbers, processes, processed_words, total_words):
        """One epoch on ``processes`` forked workers at once, each on its own run of the corpus
        with its own random stream (worker 0, this process, draws from ``self.rng``). A cut can
        split a sentence, losing the few windows across it, as gensim's 10,000-word jobs do.

        Each worker steps in batches of ``batch_size / processes`` pairs: the batches the workers
        apply at the same time act on the tables like one batch of their combined size, and
        keeping that at ``batch_size`` keeps the vectors as good as one process makes them
        (measured on 3,000 IMDB reviews, CBOW: Spearman correlation of similarities with gensim's
        0.83 on one process, 0.74 on two with whole batches, 0.80-0.84 with halves or quarters).
        Returns (summed loss, training examples) over all the workers."""
        cuts = [len(ids) * worker // processes for worker in range(processes + 1)]
        child_seeds = self.rng.integers(0, 2**63, size=processes)
        batch_size = max(1, self.batch_size // processes)
        results = forked_workers.shared_copy(np.zeros((processes, 2)))  # each worker's (loss, examples)

        def train_share(worker):
            if worker:
                self.rng = np.random.default_rng(child_seeds[worker])  # this model is the child's copy
            share = slice(cuts[worker], cuts[worker + 1])
            _, loss, examples = self._train_share(ids[share], sentence_numbers[share], batch_size, processed_words,
                                                  total_words, len(ids))
            results[worker] = loss, examples

        with _tables_in_shared_memory(self.input_vectors, self.output_vectors):
            forked_workers.run_in_forked_processes(train_share, processes)
        return results[:, 0].sum(), int(results[:, 1].sum())


@contextlib.contextmanager
def _tables_in_shared_memory(*parameters):
    """The parameters' arrays in memory that forked processes share, for the ``with`` block; after
    it, the numbers are copied back into each parameter's own array."""
    own_arrays = [parameter.data for parameter in parameters]
    for parameter in parameters:
        parameter.data = forked_workers.shared_copy(parameter.data)
    try:
        yield
    finally:
        for parameter, own in zip(parameters, own_arrays):
            own[...] = parameter.data
            parameter.data = own


def _check_corpus(sentences):
    """Refuse what would train on nothing or on characters: a one-pass iterator (read up by the
    vocabulary, empty for training) and sentences given as strings rather than lists of tokens."""
    if iter(sentences) is sentences:
        raise TypeError(f"Word2Vec: sentences must be a sequence that can be read more than once (a list of token "
                        f"lists), not a one-pass {type(sentences).__name__}; wrap it in list(...)")
    first = next(iter(sentences), None)
    if isinstance(first, (str, bytes)):
        raise TypeError(f"Word2Vec: each sentence must be a list of words (tokens), but the first is a "
                        f"{type(first).__name__}: {first[:40]!r}; split the texts first, e.g. [text.split() for text in texts]")


def _window_offsets(length, window):
    """(offset, centres, neighbours) for each shift of +-1 .. +-window in a corpus of ``length``
    words: ``neighbours`` are the positions ``shift`` away from ``centres`` (both slices)."""
    for offset in range(1, window + 1):
        for shift in (offset, -offset):
            first, stop = max(0, -shift), length - max(0, shift)
            yield offset, slice(first, stop), slice(first + shift, stop + shift)


def _alias_table(probabilities):
    """Walker's alias table (Vose's construction) for drawing from ``probabilities``.

    Returns (keep, alias): slot i, picked with probability 1/n, yields word i with probability
    keep[i] and word alias[i] otherwise, which makes word w come out with probability
    probabilities[w] exactly. Slots whose word is over-represented (n p > 1) give their excess
    to the slots of under-represented words, one at a time.
    """
    size = len(probabilities)
    keep = np.asarray(probabilities, dtype=np.float64) * size
    alias = np.arange(size)
    small = [int(i) for i in np.flatnonzero(keep < 1.0)]
    large = [int(i) for i in np.flatnonzero(keep >= 1.0)]
    while small and large:
        under, over = small.pop(), large.pop()
        alias[under] = over  # the rest of slot ``under`` goes to ``over``
        keep[over] -= 1.0 - keep[under]
        (small if keep[over] < 1.0 else large).append(over)
    keep[small + large] = 1.0  # what is left is 1 up to rounding
    return keep, alias


def _sigmoid(x):
    xp = backend.get_xp()
    return 0.5 * (1 + xp.tanh(0.5 * x))  # = 1 / (1 + exp(-x)), without overflow

