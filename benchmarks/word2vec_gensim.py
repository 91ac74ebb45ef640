"""word2vec in minidl against gensim, side by side: the same texts, the same settings.

    python benchmarks/word2vec_gensim.py --reviews 5000 --rounds 3 --out benchmarks/results_word2vec.json

Both train one epoch of CBOW and of skip-gram with negative sampling on the first ``--reviews``
IMDB training reviews (``minidl.datasets.imdb.review_words``), with gensim's word2vec defaults of
the book's era: 100 dimensions, window 5, min_count 5, 5 negatives, sample 1e-3, seed 1. Each
measurement is a fresh process, without OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE (as run.py's workers);
the frameworks take turns within each round, and the median over rounds is reported. Only
training is timed (the vocabulary is built first, untimed, in both). Both run ``--workers``
workers (default: the machine's cores): gensim's are threads, minidl's forked processes sharing
the tables (``minidl.runtime.forked_workers``); ``--workers 1`` compares one core with one core.
"""

import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys
import time

HERE = pathlib.Path(__file__).resolve().parent
SETTINGS = dict(vector_size=100, window=5, min_count=5, negative=5, sample=1e-3, seed=1)
MODES = {0: "CBOW", 1: "skip-gram"}


def _sentences(reviews):
    from minidl.datasets import imdb

    (texts, _), _ = imdb.load_texts()
    return [imdb.review_words(text) for text in texts[:reviews]]


def measure(framework, sg, reviews, workers):
    """Words per second of one epoch of training (this process)."""
    sentences = _sentences(reviews)
    words = sum(map(len, sentences))
    if framework == "gensim":
        import gensim

        model = gensim.models.Word2Vec(sg=sg, workers=workers, **SETTINGS)
        model.build_vocab(sentences)
        start = time.perf_counter()
        model.train(sentences, total_examples=len(sentences), epochs=1)
        return words / (time.perf_counter() - start)
    from minidl.text import Word2Vec

    model = Word2Vec(sg=sg, epochs=1, workers=workers, **SETTINGS)
    model.build_vocab(sentences)
    model.train(sentences)
    return model.words_per_second


def _run_worker(framework, sg, options):
    environment = {key: value for key, value in os.environ.items()
                   if key not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    environment["PYTHONPATH"] = os.pathsep.join(filter(None, [str(HERE.parent), environment.get("PYTHONPATH")]))
    command = [sys.executable, __file__, "--worker", framework, "--sg", str(sg), "--reviews", str(options.reviews),
               "--workers", str(options.workers)]
    completed = subprocess.run(command, capture_output=True, text=True, env=environment, timeout=1800)
    if completed.returncode != 0:
        return None, completed.stderr.strip().splitlines()[-1] if completed.stderr.strip() else "failed"
    return float(completed.stdout.split()[-1]), None


def versions():
    found = {"python": sys.version.split()[0]}
    for name in ("numpy", "gensim", "minidl"):
        try:
            found[name] = __import__(name).__version__
        except ImportError:
            found[name] = None
    return found


def _median_cell(values):
    return f"{statistics.median(values):,.0f}" if values else "n/a"


def markdown(result):
    lines = [f"Reviews: {result['reviews']} ({result['words']:,} words); rounds: {result['rounds']}; workers (both): "
             f"{result['workers']}; versions: {result['versions']}", "",
             "| mode | minidl words/s | gensim words/s | minidl / gensim | rounds (minidl; gensim) |", "|---|---|---|---|---|"]
    for sg, mode in MODES.items():
        rates = result["rates"][str(sg)]
        mine, theirs = rates.get("minidl") or [], rates.get("gensim") or []
        ratio = f"{statistics.median(mine) / statistics.median(theirs):.2f}" if mine and theirs else "–"
        rounds = "; ".join(", ".join(f"{value / 1e3:,.0f}K" for value in values) for values in (mine, theirs))
        lines.append(f"| {mode} | {_median_cell(mine)} | {_median_cell(theirs)} | {ratio} | {rounds} |")
    for reason in result["failures"]:
        lines.append(f"\n{reason}")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reviews", type=int, default=5000, help="how many IMDB training reviews (default 5000)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="workers of both (gensim: threads, minidl: processes)")
    parser.add_argument("--out", default="", help="JSON file for the rates of every round ('' for none)")
    parser.add_argument("--worker", choices=("minidl", "gensim"), help=argparse.SUPPRESS)
    parser.add_argument("--sg", type=int, default=0, help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    if options.worker:
        print(measure(options.worker, options.sg, options.reviews, options.workers))
        return
    rates = {str(sg): {"minidl": [], "gensim": []} for sg in MODES}
    failures = []
    for round_number in range(options.rounds):
        for sg in MODES:
            for framework in ("minidl", "gensim"):
                print(f"round {round_number + 1}/{options.rounds}: {framework} {MODES[sg]}", file=sys.stderr, flush=True)
                rate, failure = _run_worker(framework, sg, options)
                if rate is None:
                    rates[str(sg)][framework] = None
                    failures.append(f"{framework} {MODES[sg]}: {failure}")
                elif rates[str(sg)][framework] is not None:
                    rates[str(sg)][framework].append(rate)
    result = {"command": "python benchmarks/word2vec_gensim.py " + " ".join(sys.argv[1:] if argv is None else argv),
              "reviews": options.reviews, "words": sum(map(len, _sentences(options.reviews))),
              "rounds": options.rounds, "workers": options.workers, "settings": SETTINGS, "versions": versions(),
              "load_average_1min": os.getloadavg()[0], "rates": rates, "failures": sorted(set(failures)),
              "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    print(markdown(result))
    if options.out:
        sys.path.insert(0, str(HERE.parent))
        from minidl.fileio import atomic_write_text

        atomic_write_text(options.out, json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
