"""Are minidl's word vectors as good as gensim's? The same texts and settings, compared.

    python benchmarks/word2vec_quality.py --reviews 25000 --out benchmarks/results_word2vec_quality.json

Trains one epoch of CBOW and of skip-gram on the first ``--reviews`` IMDB training reviews with
``word2vec_gensim.SETTINGS`` (gensim 3's defaults): gensim with seeds 1 and 2 (the second shows
how far gensim is from itself), minidl with one worker process (reproducible) and with
``--workers`` (Hogwild, as gensim's threads). Each model is compared with gensim seed 1:

* neighbours: for the words of frequency ranks 100-299, the share of their 10 nearest
  neighbours that both models name;
* Spearman: the rank correlation of the two models' cosine similarities over 5,000 random pairs
  of the 2,000 most frequent words;
* analogies: of ``ANALOGIES`` (a - b + c = d, movie-review words), how many put d among the 5
  nearest words to a - b + c (``most_similar(positive=[a, c], negative=[b])``).
"""

import argparse
import json
import sys
import time

import numpy as np
from scipy.stats import spearmanr
from word2vec_gensim import MODES, SETTINGS, _sentences

ANALOGIES = (("king", "man", "woman", "queen"), ("actor", "man", "woman", "actress"),
             ("brother", "man", "woman", "sister"), ("husband", "man", "woman", "wife"),
             ("father", "man", "woman", "mother"), ("son", "man", "woman", "daughter"),
             ("boy", "man", "woman", "girl"), ("uncle", "man", "woman", "aunt"),
             ("boyfriend", "man", "woman", "girlfriend"), ("men", "man", "woman", "women"),
             ("his", "he", "she", "her"), ("himself", "he", "she", "herself"),
             ("better", "good", "bad", "worse"), ("best", "good", "bad", "worst"),
             ("bigger", "big", "small", "smaller"), ("mr", "man", "woman", "mrs"))


def train(framework, sentences, sg, seed=1, workers=1):
    """(word list, word vectors) of one epoch; the vocabulary is built the same way in both."""
    settings = dict(SETTINGS, seed=seed)
    if framework == "gensim":
        import gensim

        model = gensim.models.Word2Vec(sentences, sg=sg, epochs=1, workers=workers, **settings)
        return model.wv
    from minidl.text import Word2Vec

    return Word2Vec(sentences, sg=sg, epochs=1, workers=workers, **settings).wv


def neighbour_overlap(reference, other, words, topn=10):
    shares = []
    for word in words:
        theirs = {neighbour for neighbour, _ in reference.most_similar(word, topn=topn)}
        ours = {neighbour for neighbour, _ in other.most_similar(word, topn=topn)}
        shares.append(len(theirs & ours) / topn)
    return float(np.mean(shares))


def similarity_correlation(reference, other, words, pairs=5000, seed=0):
    rng = np.random.default_rng(seed)
    picked = rng.integers(0, len(words), size=(pairs, 2))
    picked = picked[picked[:, 0] != picked[:, 1]]
    theirs = [reference.similarity(words[a], words[b]) for a, b in picked]
    ours = [other.similarity(words[a], words[b]) for a, b in picked]
    return float(spearmanr(theirs, ours).statistic)


def analogy_hits(vectors, topn=5):
    hits = 0
    for a, b, c, expected in ANALOGIES:
        if all(word in vectors for word in (a, b, c, expected)):
            nearest = [word for word, _ in vectors.most_similar(positive=[a, c], negative=[b], topn=topn)]
            hits += expected in nearest
    return hits


def compare(reference, other):
    frequent = [word for word in reference.index_to_key[:2000] if word in other]
    return {"neighbour_overlap": neighbour_overlap(reference, other, frequent[100:300]),
            "spearman": similarity_correlation(reference, other, frequent),
            "analogies": analogy_hits(other)}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reviews", type=int, default=25000)
    parser.add_argument("--workers", type=int, default=2, help="minidl's and gensim's workers (default 2)")
    parser.add_argument("--out", default="", help="JSON file for the results ('' for none)")
    options = parser.parse_args(argv)
    sentences = _sentences(options.reviews)
    runs = {"gensim seed 2": ("gensim", 2, options.workers), "minidl, 1 worker": ("minidl", 1, 1),
            f"minidl, {options.workers} workers": ("minidl", 1, options.workers)}
    results = {}
    for sg, mode in MODES.items():
        reference = train("gensim", sentences, sg, seed=1, workers=options.workers)
        rows = {"gensim seed 1": {"analogies": analogy_hits(reference)}}
        for name, (framework, seed, workers) in runs.items():
            print(f"{mode}: training {name}", file=sys.stderr, flush=True)
            rows[name] = compare(reference, train(framework, sentences, sg, seed=seed, workers=workers))
        results[mode] = rows
    print(f"One epoch on {options.reviews} IMDB reviews, settings {SETTINGS}; each model against gensim seed 1.\n")
    print("| mode | model | top-10 neighbour overlap | Spearman of similarities | analogies in top 5 (of "
          f"{len(ANALOGIES)}) |\n|---|---|---|---|---|")
    for mode, rows in results.items():
        for name, row in rows.items():
            overlap = f"{row['neighbour_overlap']:.2f}" if "neighbour_overlap" in row else "(reference)"
            spearman = f"{row['spearman']:.3f}" if "spearman" in row else "(reference)"
            print(f"| {mode} | {name} | {overlap} | {spearman} | {row['analogies']} |")
    if options.out:
        sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parent.parent))
        from minidl.fileio import atomic_write_text

        record = {"command": "python benchmarks/word2vec_quality.py " + " ".join(sys.argv[1:] if argv is None else argv),
                  "reviews": options.reviews, "workers": options.workers, "settings": SETTINGS, "results": results,
                  "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
        atomic_write_text(options.out, json.dumps(record, indent=1) + "\n")


if __name__ == "__main__":
    main()
