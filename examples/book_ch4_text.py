"""The Deep Learning Workshop, chapter 4: text preprocessing, classical representations, word2vec.

One script for the chapter, selected with ``--lab``:

``text``       the cleanup pipeline on the book's toy text and on *Alice in Wonderland*
               (Exercises 4.01 and 4.02, Activity 4.01)::

                   txt_sents = tokenize.sent_tokenize(raw_txt.lower())
                   txt_words = [tokenize.word_tokenize(sent) for sent in txt_sents]
                   stop_final = list(punctuation) + stopwords.words("english")   # 179 words
                   txt_words_nostop = [drop_stop(sent) for sent in txt_words]
                   txt_words_stem = [[stemmer_p.stem(t) for t in sent] for sent in txt_words_nostop]
                   # Activity 4.01 adds the contextual stop words ["--", "said"]; book: the first
                   # five stemmed sentences begin ['alic', "'s", 'adventur', 'wonderland', ...]

               with ``minidl.preprocessing.nlp`` (its own Punkt-style sentence splitter, NLTK's
               Treebank word tokenizer and Porter stemmer, the 179-word stop list the book used).
``bow``        Exercise 4.03 one-hot features for "nlp", "deep", "learn" -> [[1,1,0],[0,0,1],
               [1,1,0],[0,0,1]]; ``CountVectorizer(max_features=5)`` on the sentences and on the
               stemmed tokens; Exercise 4.04 ``TfidfVectorizer(max_features=5)`` -> book: idf_
               [1.51082562, 1.51082562, 1.51082562, 1.91629073, 1.91629073] (scikit-learn, as the
               book).
``word2vec``   ``word2vec.Word2Vec(dataset)`` with gensim 3's defaults (CBOW, 100 dimensions, window
               5, min_count 5, 5 epochs, seed 1) on ``minidl.text.Word2Vec``: the vector for
               "animal", ``most_similar`` for "animal" and "happiness", the analogies
               king - man + woman and uncle - man + woman, and Exercise 4.05's phrase vectors
               ("get happy" vs "make merry", book: 0.58).
``w2v-params`` the effect of ``size=30`` on king - man + woman, and CBOW vs skip-gram (``sg=1``) on
               the rare word "oeuvre".
``ex4.06``     word vectors from different corpora: ``most_similar('money')`` from Brown and from
               NLTK's movie_reviews with skip-gram; pre-trained GloVe (money, king/queen and the
               bias examples doctor - man + woman, smart - man + woman). Without NLTK's corpora the
               SUBSTITUTE pair is Alice (a novel) and the first IMDB train reviews up to
               movie_reviews' 1.58 million words, split into words alike; the same words'
               neighbours are printed side by side with how many of the top ten they share.
``act4.02``    Activity 4.02 on Alice (the unstemmed tokens): word2vec with the defaults, with
               ``window=2`` and skip-gram; "rabbit"'s neighbours and the cosine between the phrase
               vectors "white rabbit" and "mad hatter" -- on so small a corpus every cosine is
               about 0.99 (book: 0.9996), which is the activity's point; then GloVe (book: 0.45).

Data not available here, said on the FIRST output line: text8 (the book's word2vec corpus),
NLTK's Brown and movie_reviews corpora and the GloVe vectors. The word2vec parts train on the
IMDB review texts instead (aclImdb, 50,000 labelled reviews, 11.5 million words, split into
words as minidl's ``imdb`` loader does: lower-cased, punctuation removed, apostrophes kept) --
also movie reviews from IMDb, like NLTK's movie_reviews -- and Alice as the book does. Give
``--text8`` (the ``text8`` or ``text8.zip`` file), ``--nltk-corpora`` (a folder holding NLTK's
``brown/`` and ``movie_reviews/``) or ``--glove`` (``glove.6B.100d.txt``) to use the real files.
On IMDB some of the book's queries are not in the vocabulary (they are skipped, saying so) and
analogies that exist in movie reviews are added (actor/actress, brother/sister, ...).

Quirks reproduced as written: (1) ``CountVectorizer``/``TfidfVectorizer(max_features=5)`` keep the
five most frequent terms, but seven terms tie at frequency 2, and scikit-learn breaks the tie
with NumPy's unstable ``argsort``: the book's NumPy 1.x introsort kept and/deep/learn/together/
we, NumPy 2's sort keeps other terms, so the installed scikit-learn gives a different vocabulary
and idf_. The script prints the installed result and then the book's, picking the five terms with
a Python copy of NumPy 1.x's quicksort (``numpy1_argsort``) and passing them as ``vocabulary=``;
(2) the book's stemmer output ``['I', 'muster', ...]`` keeps the capital I (NLTK < 3.6 did not
lower-case); ``porter_stem`` reproduces that; (3) ``word_tokenize`` here is the Treebank tokenizer
the book's NLTK used, which keeps ``'and`` and ``'oh`` as tokens (newer NLTK splits the quote off);
(4) the book trains "a new" default CBOW model for the oeuvre comparison that is identical to its
first one; the script reuses the first model; (5) WordNet lemmatisation ("ponies" -> "pony") needs
NLTK's downloaded WordNet data and is shown only when NLTK finds it.

Word2vec on 11.5 million IMDB words takes a while on a CPU (see ``words_per_second`` in the output):
``--imdb-reviews N`` trains on the first N reviews and ``--epochs`` changes word2vec's 5 epochs
(``--batch-size`` is the number of word pairs per SGD step, minidl's default 4096).

    python examples/book_ch4_text.py --lab text          # the exact pipeline outputs
    python examples/book_ch4_text.py --lab bow           # one-hot, counts, TF-IDF
    python examples/book_ch4_text.py --lab word2vec      # CBOW on IMDB (about 2 minutes on two cores)
    python examples/book_ch4_text.py --quick             # everything on small slices
"""

import string
import time

import numpy as np
from _common import parse_args, setup, write_metrics

from minidl.datasets import DatasetNotFoundError, alice, imdb, nltk_corpora, text8, word_vectors
from minidl.preprocessing import nlp
from minidl.preprocessing.text import text_to_word_sequence
from minidl.text import KeyedVectors, Word2Vec

LABS = ("text", "bow", "word2vec", "w2v-params", "ex4.06", "act4.02")
W2V_LABS = ("word2vec", "w2v-params")  # the labs that train on the book's word2vec corpus

RAW_TXT = ("Welcome to the world of Deep Learning for NLP! We're in this together, and we'll learn together. "
           "NLP is amazing, and Deep Learning makes it even more fun. Let's learn!")

# What the book printed, for the exact checks.
BOOK = {
    "sentences": ["Welcome to the world of Deep Learning for NLP!", "We're in this together, and we'll learn together.",
                  "NLP is amazing, and Deep Learning makes it even more fun.", "Let's learn!"],
    "txt_words_nostop": [["welcome", "world", "deep", "learning", "nlp"], ["'re", "together", "'ll", "learn", "together"],
                         ["nlp", "amazing", "deep", "learning", "makes", "even", "fun"], ["let", "'s", "learn"]],
    "txt_words_stem": [["welcom", "world", "deep", "learn", "nlp"], ["'re", "togeth", "'ll", "learn", "togeth"],
                       ["nlp", "amaz", "deep", "learn", "make", "even", "fun"], ["let", "'s", "learn"]],
    "stemmed_sentence": ["I", "muster", "all", "my", "drive", ",", "drove", "to", "the", "drive", "school", "!"],
    "alice_stem_first5": [
        ["alic", "'s", "adventur", "wonderland", "lewi", "carrol", "1865", "chapter", "i.", "rabbit-hol", "alic",
         "begin", "get", "tire", "sit", "sister", "bank", "noth", "twice", "peep", "book", "sister", "read", "pictur",
         "convers", "'and", "use", "book", "thought", "alic", "'without", "pictur", "convers"],
        ["consid", "mind", "well", "could", "hot", "day", "made", "feel", "sleepi", "stupid", "whether", "pleasur",
         "make", "daisy-chain", "would", "worth", "troubl", "get", "pick", "daisi", "suddenli", "white", "rabbit",
         "pink", "eye", "ran", "close"],
        ["noth", "remark", "alic", "think", "much", "way", "hear", "rabbit", "say", "'oh", "dear"],
        ["oh", "dear"],
        ["shall", "late"],
    ],
    "one_hot": [[1, 1, 0], [0, 0, 1], [1, 1, 0], [0, 0, 1]],
    "count_vocabulary": {"deep": 1, "we": 4, "together": 3, "and": 0, "learn": 2},
    "count_dtm": [[0, 1, 0, 0, 0], [1, 0, 1, 2, 2], [1, 1, 0, 0, 0], [0, 0, 1, 0, 0]],
    "stem_vocabulary": {"deep": 1, "learn": 2, "nlp": 3, "togeth": 4, "'ll": 0},
    "stem_dtm": [[0, 1, 1, 1, 0], [1, 0, 1, 0, 2], [0, 1, 1, 1, 0], [0, 0, 1, 0, 0]],
    "idf": [1.51082562, 1.51082562, 1.51082562, 1.91629073, 1.91629073],
}

# Analogies a - b + c, asked as most_similar(positive=[a, c], negative=[b]); the book's two first.
ANALOGIES = (("king", "man", "woman"), ("uncle", "man", "woman"), ("actor", "man", "woman"),
             ("brother", "man", "woman"), ("husband", "man", "woman"), ("best", "good", "bad"))


def add_arguments(parser):
    parser.add_argument("--lab", choices=LABS + ("all",), default="all", help="which part of the chapter to run")
    parser.add_argument("--imdb-reviews", type=int, default=50000,
                        help="word2vec on the first N IMDB reviews (default: all 50,000; --quick: 600)")
    parser.add_argument("--text8", help="the text8 (or text8.zip) file: train the book's word2vec models on it")
    parser.add_argument("--nltk-corpora", help="a folder with NLTK's brown/ and movie_reviews/ corpora (Ex 4.06)")
    parser.add_argument("--glove", help="GloVe vectors, e.g. glove.6B.100d.txt (Ex 4.06 and Activity 4.02)")


# -- scikit-learn's max_features tie-break, as the book's NumPy 1.x made it ------------------------

SMALL_QUICKSORT = 15


def numpy1_argsort(values):
    """``np.argsort(values)`` as NumPy 1.x computed it (its introsort ``aquicksort``).

    The sort is not stable, so how it orders equal values is an accident of the algorithm;
    scikit-learn's ``max_features`` relies on that order to break frequency ties. This is a
    line-by-line Python copy of NumPy 1.x's ``npysort/quicksort.cpp`` for small arrays
    (median-of-three partitioning above 16 elements, insertion sort below).
    """
    v = [values[i] for i in range(len(values))]
    order = list(range(len(v)))
    if len(v) < 2:
        return np.array(order, dtype=np.int64)
    low, high = 0, len(v) - 1
    stack = []
    while True:
        while high - low > SMALL_QUICKSORT:
            middle = low + ((high - low) >> 1)
            if v[order[middle]] < v[order[low]]:
                order[middle], order[low] = order[low], order[middle]
            if v[order[high]] < v[order[middle]]:
                order[high], order[middle] = order[middle], order[high]
            if v[order[middle]] < v[order[low]]:
                order[middle], order[low] = order[low], order[middle]
            pivot = v[order[middle]]
            i, j = low, high - 1
            order[middle], order[j] = order[j], order[middle]
            while True:
                i += 1
                while v[order[i]] < pivot:
                    i += 1
                j -= 1
                while pivot < v[order[j]]:
                    j -= 1
                if i >= j:
                    break
                order[i], order[j] = order[j], order[i]
            order[i], order[high - 1] = order[high - 1], order[i]
            if i - low < high - i:  # push the larger part, go on with the smaller
                stack.append((i + 1, high))
                high = i - 1
            else:
                stack.append((low, i - 1))
                low = i + 1
        for i in range(low + 1, high + 1):  # insertion sort of the small part
            item, j = order[i], i
            while j > low and v[item] < v[order[j - 1]]:
                order[j] = order[j - 1]
                j -= 1
            order[j] = item
        if not stack:
            break
        low, high = stack.pop()
    return np.array(order, dtype=np.int64)


def book_era_vocabulary(documents, max_features, **vectorizer_options):
    """The ``max_features`` most frequent terms, frequency ties broken as the book's NumPy did."""
    from sklearn.feature_extraction.text import CountVectorizer

    counts = CountVectorizer(**vectorizer_options).fit(documents)
    totals = np.asarray(counts.transform(documents).sum(axis=0)).ravel()
    terms = counts.get_feature_names_out()
    return sorted(str(term) for term in terms[numpy1_argsort(-totals)[:max_features]])


def plain(vocabulary):
    return {str(term): int(index) for term, index in vocabulary.items()}


# -- text preprocessing ---------------------------------------------------------------------------

def drop_punct(tokens):
    return nlp.drop_tokens(tokens, nlp.PUNCTUATION)


def text_preprocessing():
    print("\n=== Text preprocessing on the toy text ===")
    raw_txt = RAW_TXT
    print(nlp.sent_tokenize(raw_txt))
    txt_sents = nlp.sent_tokenize(raw_txt)
    print((type(txt_sents).__name__, len(txt_sents)))
    txt_words = [nlp.word_tokenize(sent) for sent in txt_sents]
    print((type(txt_words).__name__, type(txt_words[0]).__name__))
    print(txt_words[:2])
    txt_sents = [sent.lower() for sent in txt_sents]
    txt_words = [nlp.word_tokenize(sent) for sent in txt_sents]
    print(txt_words[:2])
    list_punct = list(string.punctuation)
    print(list_punct)
    print(drop_punct(["let", ".", "us", ".", "go", "!"]))
    txt_words_nopunct = [drop_punct(sent) for sent in txt_words]
    print(txt_words_nopunct)
    list_stop = list(nlp.ENGLISH_STOP_WORDS)
    print(len(list_stop))
    print(list_stop[:50])

    print("\n=== Exercise 4.01: tokenizing, case normalization, punctuation and stop word removal ===")
    txt_sents = nlp.sent_tokenize(raw_txt.lower())
    txt_words = [nlp.word_tokenize(sent) for sent in txt_sents]
    stop_final = list(string.punctuation) + list(nlp.ENGLISH_STOP_WORDS)
    txt_words_nostop = [nlp.drop_tokens(sent, stop_final) for sent in txt_words]
    print(txt_words_nostop[0])

    print("\n=== Stemming and lemmatization ===")
    print(nlp.porter_stem(["driving"])[0])
    txt = "I mustered all my drive, drove to the driving school!"
    stemmed_sentence = nlp.porter_stem(nlp.word_tokenize(txt))
    print(stemmed_sentence)
    try:
        from nltk.stem import WordNetLemmatizer

        print(WordNetLemmatizer().lemmatize("ponies"))
    except (ImportError, LookupError):
        print("(WordNetLemmatizer needs NLTK's downloaded WordNet data, not available here; the book prints 'pony')")

    print("\n=== Exercise 4.02: stemming our data ===")
    print(txt_words_nostop)
    print(nlp.porter_stem(txt_words_nostop[0]))
    txt_words_stem = [nlp.porter_stem(sent) for sent in txt_words_nostop]
    print(txt_words_stem)

    print("\n=== Activity 4.01: text preprocessing of the 'Alice in Wonderland' text ===")
    alice_raw = alice.load_text()
    print(repr(alice_raw[:800]))
    alice_sents = nlp.sent_tokenize(alice_raw.lower())
    alice_words = [nlp.word_tokenize(sent) for sent in alice_sents]
    stop_context = ["--", "said"]
    alice_stop = list(string.punctuation) + list(nlp.ENGLISH_STOP_WORDS) + stop_context
    alice_words_nostop = [nlp.drop_tokens(sent, alice_stop) for sent in alice_words]
    print(alice_words_nostop[:2])
    alice_words_stem = [nlp.porter_stem(sent) for sent in alice_words_nostop]
    print(alice_words_stem[:5])
    same_as_helper = alice_words_stem == nlp.preprocess_sentences(alice_raw, extra_stop_words=stop_context, stem=True)

    exact = {
        "sentences": nlp.sent_tokenize(raw_txt) == BOOK["sentences"],
        "stop_words_179": len(list_stop) == 179,
        "txt_words_nostop": txt_words_nostop == BOOK["txt_words_nostop"],
        "stemmed_sentence": stemmed_sentence == BOOK["stemmed_sentence"],
        "txt_words_stem": txt_words_stem == BOOK["txt_words_stem"],
        "alice_stem_first5": alice_words_stem[:5] == BOOK["alice_stem_first5"],
    }
    print("\nmatches the book's printed outputs:", exact)
    state = {"txt_sents": txt_sents, "txt_words_nostop": txt_words_nostop, "txt_words_stem": txt_words_stem,
             "alice_words_nostop": alice_words_nostop}
    metrics = {f"text_exact_{key}": value for key, value in exact.items()}
    metrics["text_alice_sentences"] = len(alice_words_stem)
    metrics["text_preprocess_sentences_helper_agrees"] = same_as_helper
    return metrics, state


def toy_state():
    """Exercise 4.01/4.02's variables, for parts run without ``text``."""
    txt_sents = nlp.sent_tokenize(RAW_TXT.lower())
    stop_final = list(string.punctuation) + list(nlp.ENGLISH_STOP_WORDS)
    txt_words_nostop = [nlp.drop_tokens(nlp.word_tokenize(sent), stop_final) for sent in txt_sents]
    return {"txt_sents": txt_sents, "txt_words_nostop": txt_words_nostop,
            "txt_words_stem": [nlp.porter_stem(sent) for sent in txt_words_nostop]}


# -- classical representations --------------------------------------------------------------------

def classical_representations(state):
    from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer

    txt_sents, txt_words_nostop, txt_words_stem = state["txt_sents"], state["txt_words_nostop"], state["txt_words_stem"]
    print("\n=== Exercise 4.03: one-hot encoding ===")
    print(txt_words_nostop)
    target_terms = ["nlp", "deep", "learn"]

    def get_onehot(sent):
        return [1 if term in sent else 0 for term in target_terms]

    one_hot_mat = [get_onehot(sent) for sent in txt_words_nostop]
    print(repr(np.array(one_hot_mat)))
    presence = nlp.term_presence_matrix(txt_words_nostop, target_terms)
    print("minidl.preprocessing.nlp.term_presence_matrix gives the same:", bool((presence == one_hot_mat).all()))

    print("\n=== Term frequencies: CountVectorizer(max_features=5) ===")
    print(txt_sents)
    vectorizer = CountVectorizer(max_features=5)
    vectorizer.fit(txt_sents)
    print("installed scikit-learn:", plain(vectorizer.vocabulary_))
    print(repr(vectorizer.fit_transform(txt_sents).toarray()))
    book_terms = book_era_vocabulary(txt_sents, 5)
    vectorizer = CountVectorizer(vocabulary=book_terms)
    count_dtm = vectorizer.fit_transform(txt_sents).toarray()
    print("with the book's tie-break (NumPy 1.x argsort):", plain(vectorizer.vocabulary_))
    print(repr(count_dtm))

    def do_nothing(doc):
        return doc

    options = {"preprocessor": do_nothing, "tokenizer": do_nothing, "token_pattern": None}
    vectorizer = CountVectorizer(max_features=5, **options)
    print("on the stemmed tokens, installed scikit-learn:")
    print(repr(vectorizer.fit_transform(txt_words_stem).toarray()))
    print(plain(vectorizer.vocabulary_))
    vectorizer = CountVectorizer(vocabulary=book_era_vocabulary(txt_words_stem, 5, **options), **options)
    stem_dtm = vectorizer.fit_transform(txt_words_stem).toarray()
    print("on the stemmed tokens, with the book's tie-break:")
    print(repr(stem_dtm))
    print(plain(vectorizer.vocabulary_))
    print(txt_words_stem)

    print("\n=== Exercise 4.04: document-term matrix with TF-IDF ===")
    vectorizer_tfidf = TfidfVectorizer(max_features=5)
    vectorizer_tfidf.fit(txt_sents)
    print("installed scikit-learn:", plain(vectorizer_tfidf.vocabulary_), "idf_", vectorizer_tfidf.idf_)
    vectorizer_tfidf = TfidfVectorizer(vocabulary=book_terms)
    vectorizer_tfidf.fit(txt_sents)
    print("with the book's tie-break:", plain(vectorizer_tfidf.vocabulary_))
    txt_tfidf = vectorizer_tfidf.transform(txt_sents)
    print(repr(txt_tfidf.toarray()))
    idf = vectorizer_tfidf.idf_
    print(repr(idf))

    exact = {
        "one_hot": one_hot_mat == BOOK["one_hot"],
        "count_vocabulary": plain(CountVectorizer(vocabulary=book_terms).fit(txt_sents).vocabulary_)
        == BOOK["count_vocabulary"],
        "count_dtm": count_dtm.tolist() == BOOK["count_dtm"],
        "stem_vocabulary": plain(vectorizer.vocabulary_) == BOOK["stem_vocabulary"],
        "stem_dtm": stem_dtm.tolist() == BOOK["stem_dtm"],
        "idf": bool(np.allclose(idf, BOOK["idf"], atol=5e-9)),
    }
    print("\nmatches the book's printed outputs:", exact)
    metrics = {f"bow_exact_{key}": value for key, value in exact.items()}
    metrics["bow_idf"] = [round(float(value), 8) for value in idf]
    return metrics


# -- word2vec ---------------------------------------------------------------------------------------

def show_similar(wv, word, topn=10):
    if word not in wv:
        print(f"most_similar({word!r}): not in this vocabulary ({len(wv)} words)")
        return None
    result = wv.most_similar(word, topn=topn)
    print(f"most_similar({word!r}, topn={topn}):")
    for term, score in result:
        print(f"  ({term!r}, {score:.4f})")
    return result


def show_analogy(wv, a, b, c, topn=5):
    """a - b + c."""
    missing = [word for word in (a, b, c) if word not in wv]
    if missing:
        print(f"{a} - {b} + {c}: {missing} not in this vocabulary")
        return None
    result = wv.most_similar(positive=[a, c], negative=[b], topn=topn)
    print(f"{a} - {b} + {c} = " + ", ".join(f"({term!r}, {score:.4f})" for term, score in result))
    return result


def phrase_cosine(wv, first, second):
    """Exercise 4.05: the cosine between the averaged vectors of two two-word phrases."""
    words = list(first) + list(second)
    missing = [word for word in words if word not in wv]
    if missing:
        print(f"phrases {first} / {second}: {missing} not in this vocabulary")
        return None
    res1 = (wv[first[0]] + wv[first[1]]) / 2
    res2 = (wv[second[0]] + wv[second[1]]) / 2
    cosine = KeyedVectors.cosine_similarities(res1, [res2])
    print(f"cosine('{' '.join(first)}', '{' '.join(second)}') = {cosine}")
    return float(cosine[0])


class Corpus:
    """The word2vec training corpus: text8 when given, else IMDB reviews (the labelled substitute)."""

    def __init__(self, args):
        self.args = args
        self.models = {}
        if args.text8:
            words = text8.load_words(args.text8)
            self.name = "text8"
            self.sentences = [words[i:i + 10000] for i in range(0, len(words), 10000)]  # gensim's Text8Corpus
        else:
            (train_texts, _), (test_texts, _) = imdb.load_texts()
            reviews = min(args.imdb_reviews, 600) if args.quick else args.imdb_reviews
            texts = (train_texts + test_texts)[:reviews]
            self.name = f"IMDB reviews ({len(texts)})"
            self.sentences = [imdb.review_words(text) for text in texts]
        self.tokens = sum(len(sentence) for sentence in self.sentences)
        print(f"word2vec corpus: {self.name}, {len(self.sentences)} sentences, {self.tokens} words")

    def model(self, **options):
        """A Word2Vec trained with gensim 3's defaults plus ``options``; cached per options."""
        key = tuple(sorted(options.items()))
        if key not in self.models:
            epochs = 1 if self.args.quick else self.args.epochs
            started = time.perf_counter()
            model = Word2Vec(self.sentences, seed=1, epochs=epochs, batch_size=self.args.batch_size, **options)
            print(f"(trained Word2Vec({', '.join(f'{k}={v}' for k, v in options.items()) or 'defaults'}) on "
                  f"{self.name}: {len(model.wv)} words in the vocabulary, {epochs} epochs, "
                  f"{time.perf_counter() - started:.1f} s, {model.words_per_second:,.0f} words/s)")
            self.models[key] = model
        return self.models[key]


def word2vec_lab(corpus):
    print("\n=== Training our own word embeddings: word2vec.Word2Vec(dataset) (CBOW, gensim 3 defaults) ===")
    model = corpus.model()
    if "animal" in model.wv:
        print(model.wv["animal"])
        print(len(model.wv["animal"]))
    show_similar(model.wv, "animal")
    show_similar(model.wv, "happiness")
    print("\n=== Semantic regularities ===")
    analogies = {}
    for a, b, c in ANALOGIES:
        result = show_analogy(model.wv, a, b, c)
        if result:
            analogies[f"{a}-{b}+{c}"] = result[0][0]
    print("\n=== Neighbours in a movie-review corpus ===")
    neighbours = {word: show_similar(model.wv, word, topn=10) for word in ("excellent", "bad")}
    print("\n=== Exercise 4.05: vectors for phrases ===")
    cosine = phrase_cosine(model.wv, ("get", "happy"), ("make", "merry"))
    metrics = {
        "w2v_corpus": corpus.name, "w2v_corpus_words": corpus.tokens, "w2v_vocabulary": len(model.wv),
        "w2v_words_per_second": round(float(model.words_per_second), 1), "w2v_analogy_top1": analogies,
        "w2v_get_happy_vs_make_merry": cosine,
    }
    for word, result in neighbours.items():
        if result:
            metrics[f"w2v_neighbours_{word}"] = [term for term, _ in result]
            metrics[f"w2v_neighbours_{word}_cosines"] = [round(score, 4) for _, score in result]
    return metrics


def word2vec_parameters(corpus):
    print("\n=== Effect of parameters: size=30 ===")
    small = corpus.model(size=30)
    result = show_analogy(small.wv, "king", "man", "woman")
    print("\n=== Skip-gram versus CBOW on a rare word ===")
    print("CBOW (the first model; the book retrains the same configuration):")
    show_similar(corpus.model().wv, "oeuvre", topn=5)
    print("skip-gram (sg=1):")
    model_sg = corpus.model(sg=1)
    sg_result = show_similar(model_sg.wv, "oeuvre", topn=5)
    return {"w2v_size30_king_analogy_top1": result[0][0] if result else None,
            "w2v_sg_oeuvre_top5": [term for term, _ in sg_result] if sg_result else None,
            "w2v_sg_words_per_second": round(float(model_sg.words_per_second), 1)}


def load_glove(path):
    words, vectors = word_vectors.load_word_vectors(path)
    return KeyedVectors(words, vectors)


# Words asked of both Ex 4.06 models: the book's "money" and words common to a novel and reviews.
EX406_WORDS = ("money", "queen", "time", "head", "voice", "house", "eyes", "game")
MOVIE_REVIEWS_WORDS = 1_583_820  # NLTK's movie_reviews corpus, the size the IMDB half is cut to


def ex406_substitute_pair(args):
    """Ex 4.06's SUBSTITUTE pair when NLTK's corpora are absent: Alice (a novel, for Brown's fiction)
    and IMDB reviews cut to movie_reviews' size, both split into words the same way (Keras's
    lower-casing split, as minidl's IMDB ids), so only the corpus differs between the two models."""
    def words_of(text):  # Keras's split, then quote marks (Alice's dialogue) taken off the words
        return [word for word in (token.strip("'") for token in text_to_word_sequence(text)) if word]

    alice_sentences = [words_of(sentence) for sentence in nlp.sent_tokenize(alice.load_text())]
    (train_texts, _), _ = imdb.load_texts()
    budget = 60_000 if args.quick else MOVIE_REVIEWS_WORDS
    imdb_sentences, words = [], 0
    for text in train_texts:
        if words >= budget:
            break
        sentence = words_of(text.replace("<br />", " "))
        imdb_sentences.append(sentence)
        words += len(sentence)
    return (("Alice (SUBSTITUTE for Brown)", [s for s in alice_sentences if s]),
            (f"IMDB, first {len(imdb_sentences)} train reviews (SUBSTITUTE for movie_reviews)", imdb_sentences))


def compare_neighbours(models, words, topn=10):
    """The same words' neighbours in each model, and how many of the top ``topn`` they share."""
    (name_a, wv_a), (name_b, wv_b) = models
    overlaps = {}
    for word in words:
        if word not in wv_a or word not in wv_b:
            print(f"{word!r}: not in both vocabularies, skipped")
            continue
        near_a = [term for term, _ in wv_a.most_similar(word, topn=topn)]
        near_b = [term for term, _ in wv_b.most_similar(word, topn=topn)]
        overlaps[word] = {"shared": len(set(near_a) & set(near_b)), name_a: near_a[:5], name_b: near_b[:5]}
        print(f"{word!r}: {name_a.split(' (')[0]}: {', '.join(near_a[:5])}")
        print(f"{' ' * (len(word) + 4)}{name_b.split(' (')[0]}: {', '.join(near_b[:5])}"
              f"   [{overlaps[word]['shared']} of the top {topn} shared]")
    return overlaps


def different_datasets(args):
    print("\n=== Exercise 4.06: training word vectors on different datasets ===")
    metrics = {}
    models = []
    for name, reader in (("brown", nltk_corpora.brown_sents), ("movie_reviews", nltk_corpora.movie_reviews_sents)):
        try:
            root = None if args.nltk_corpora is None else f"{args.nltk_corpora}/{name}"
            sentences = reader(root=root)
        except DatasetNotFoundError:
            print(f"NLTK's {name} corpus is not available here (give --nltk-corpora)")
            continue
        if args.quick:
            sentences = sentences[:3000]
        model = Word2Vec(sentences, sg=1, seed=1, epochs=1 if args.quick else args.epochs)
        result = show_similar(model.wv, "money", topn=5)
        metrics[f"ex4.06_{name}_money_top1"] = result[0][0] if result else None
        models.append((name, model.wv))
    if len(models) < 2:
        print("SUBSTITUTE: skip-gram (sg=1) on Alice and on as many IMDB words as movie_reviews has, "
              "compared on the same words:")
        models = []
        for name, sentences in ex406_substitute_pair(args):
            started = time.perf_counter()
            model = Word2Vec(sentences, sg=1, seed=1, epochs=1 if args.quick else args.epochs)
            words = sum(len(sentence) for sentence in sentences)
            print(f"(skip-gram on {name}: {words} words, {len(model.wv)} in the vocabulary, "
                  f"{time.perf_counter() - started:.1f} s)")
            metrics[f"ex4.06_substitute_words[{name}]"] = words
            models.append((name, model.wv))
    overlaps = compare_neighbours(models, EX406_WORDS)
    metrics["ex4.06_neighbours"] = overlaps
    if overlaps:
        metrics["ex4.06_mean_shared_of_top10"] = round(float(np.mean([o["shared"] for o in overlaps.values()])), 2)
        print(f"mean neighbours shared (of 10) over {len(overlaps)} words: {metrics['ex4.06_mean_shared_of_top10']}")

    print("\n=== Using pre-trained word vectors (GloVe) ===")
    if not args.glove:
        reviews_name, reviews_wv = models[-1]
        print(f"GloVe vectors are not available here (give --glove glove.6B.100d.txt); the bias queries on the "
              f"skip-gram model of {reviews_name} instead:")
        show_analogy(reviews_wv, "doctor", "man", "woman")
        show_analogy(reviews_wv, "smart", "man", "woman")
        return metrics
    glove_model = load_glove(args.glove)
    show_similar(glove_model, "money", topn=5)
    result = show_analogy(glove_model, "king", "man", "woman")
    print("Bias in embeddings:")
    show_analogy(glove_model, "doctor", "man", "woman")
    show_analogy(glove_model, "smart", "man", "woman")
    metrics["ex4.06_glove_king_analogy_top1"] = result[0][0] if result else None
    return metrics


def alice_vectors(args, state):
    print("\n=== Activity 4.02: text representation for Alice in Wonderland ===")
    alice_words_nostop = state.get("alice_words_nostop")
    if alice_words_nostop is None:
        alice_words_nostop = nlp.preprocess_sentences(alice.load_text(), extra_stop_words=["--", "said"])
    print(alice_words_nostop[:3])
    epochs = 1 if args.quick else args.epochs
    model = Word2Vec(alice_words_nostop, seed=1, epochs=epochs)
    show_similar(model.wv, "rabbit", topn=5)
    model = Word2Vec(alice_words_nostop, window=2, seed=1, epochs=epochs)
    show_similar(model.wv, "rabbit", topn=5)
    model = Word2Vec(alice_words_nostop, window=5, sg=1, seed=1, epochs=epochs)
    rabbit = show_similar(model.wv, "rabbit", topn=5)
    cosine = phrase_cosine(model.wv, ("white", "rabbit"), ("mad", "hatter"))
    metrics = {"act4.02_sg_rabbit_top5_cosines": [round(score, 4) for _, score in rabbit] if rabbit else None,
               "act4.02_white_rabbit_vs_mad_hatter": cosine}
    if args.glove:
        metrics["act4.02_glove_white_rabbit_vs_mad_hatter"] = phrase_cosine(
            load_glove(args.glove), ("white", "rabbit"), ("mad", "hatter"))
    else:
        print("GloVe vectors are not available here (give --glove); the book's GloVe cosine is 0.4515")
    return metrics


# -- main -------------------------------------------------------------------------------------------

LAB_REFERENCE = {
    "text": {"stop_words": 179, "alice_first_stems": ["alic", "'s", "adventur", "wonderland", "lewi", "carrol"]},
    "bow": {"one_hot": BOOK["one_hot"], "idf": BOOK["idf"]},
    "word2vec": {"corpus": "text8", "king-man+woman": "queen (0.680)", "uncle-man+woman": "aunt (0.815)",
                 "get_happy_vs_make_merry": 0.5798},
    "w2v-params": {"size30_king-man+woman_top1": "emperor", "sg_oeuvre_top1": "masterful"},
    "ex4.06": {"brown_money_top1": "job", "movie_money_top1": "cash", "glove_money_top1": "funds"},
    "act4.02": {"cbow_rabbit_top1": "alice (0.9963)", "sg_white_rabbit_vs_mad_hatter": 0.9996,
                "glove_white_rabbit_vs_mad_hatter": 0.4515},
}


def main(argv=None):
    args = parse_args(__doc__, epochs=5, batch_size=4096, extra_arguments=add_arguments, argv=argv)
    started = time.perf_counter()
    labs = LABS if args.lab == "all" else (args.lab,)
    missing = []
    if any(lab in W2V_LABS for lab in labs) and not args.text8:
        missing.append("text8")
    if "ex4.06" in labs and not args.nltk_corpora:
        missing.append("Brown and movie_reviews")
    if any(lab in ("ex4.06", "act4.02") for lab in labs) and not args.glove:
        missing.append("GloVe")
    if missing:
        print(f"SUBSTITUTE: {', '.join(missing)} not available here"
              + ("; word2vec trains on the IMDB review texts instead (and on Alice, as the book)"
                 if "text8" in missing else "") + "; parts needing the rest are skipped or run on IMDB, saying so")
    out = setup(args, "book_ch4_text")

    metrics = {}
    state = toy_state()
    corpus = None
    lab_times = {}
    for lab in labs:
        lab_started = time.perf_counter()
        if lab == "text":
            text_metrics, text_state = text_preprocessing()
            metrics.update(text_metrics)
            state.update(text_state)
        elif lab == "bow":
            metrics.update(classical_representations(state))
        elif lab in W2V_LABS:
            if corpus is None:
                corpus = Corpus(args)
            if lab == "word2vec":
                metrics.update(word2vec_lab(corpus))
            else:
                metrics.update(word2vec_parameters(corpus))
        elif lab == "ex4.06":
            metrics.update(different_datasets(args))
        elif lab == "act4.02":
            metrics.update(alice_vectors(args, state))
        lab_times[lab] = round(time.perf_counter() - lab_started, 1)
    print("\nwall time per part (s):", lab_times)
    metrics["wall_time_per_lab_s"] = lab_times
    metrics["lab_reference"] = {lab: LAB_REFERENCE[lab] for lab in labs}
    write_metrics(out, metrics, args, started)


if __name__ == "__main__":
    main()
