"""
Word order matters: texts as token sequences
============================================

A bag of words counts the words of a text and forgets their order, so "good,
and not dull" and "dull, and not good" look the same to it. A recurrent
network reads the words in turn. This example turns texts into sequences of
token ids with :class:`~skrnn.TextSequencer` (scikit-learn's tokenisation and
vocabulary limits), feeds them to ``RNNClassifier(categorical="all")``, which
learns an embedding of each word, and compares it with ``CountVectorizer +
LogisticRegression`` on reviews where the place of "not" decides the label.
It then follows the network's belief word by word, and saves the whole
Pipeline, strings in, labels out.
"""

# %%
# Reviews whose label depends on where "not" stands
# -------------------------------------------------
# Each review has filler words, one polar adjective and one "not". Before the
# adjective, "not" flips its polarity; after it, it negates nothing. The same
# words make a positive and a negative review, so their bag says nothing.
import os
import tempfile

import matplotlib.pyplot as plt
import numpy as np
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline

import skrnn
from skrnn import RNNClassifier, TextSequencer

FAST = os.environ.get("SKRNN_FAST") == "1"  # CI runs every example quickly
rng = np.random.default_rng(0)
polar = {"good": 1, "great": 1, "superb": 1, "bad": 0, "dull": 0, "awful": 0}
fillers = ["the", "film", "plot", "was", "is", "really", "quite", "very", "and", "so"]


def review():
    """A review, its label, and where "not" stands relative to the adjective."""
    adjective = rng.choice(list(polar))
    gap = rng.integers(0, 3)  # words between the first and the second
    others = list(rng.choice(fillers, size=rng.integers(3, 7)))
    at = rng.integers(0, len(others) - gap + 1)
    negated = rng.random() < 0.5
    pair = ("not", adjective) if negated else (adjective, "not")
    between = others[at : at + gap]
    words = [*others[:at], pair[0], *between, pair[1], *others[at + gap :]]
    case = "not " + "_ " * gap + "adjective" if negated else "adjective ... not"
    label = "positive" if polar[adjective] != negated else "negative"
    return " ".join(words), label, case


train = [review() for _ in range(1000)]
test = [review() for _ in range(600)]
X_train, y_train, _ = map(list, zip(*train, strict=True))
X_test, y_test, cases = map(np.asarray, zip(*test, strict=True))
for text, label, _ in train[:4]:
    print(f"{label:>8}: {text}")

# %%
# Bags of words against the recurrent network
# --------------------------------------------
# Word pairs (``ngram_range=(1, 2)``) see "not good" when the two words touch,
# and nothing when a word stands between them.
models = {
    "bag of words": make_pipeline(CountVectorizer(), LogisticRegression(max_iter=1000)),
    "bag of word pairs": make_pipeline(
        CountVectorizer(ngram_range=(1, 2)), LogisticRegression(max_iter=1000)
    ),
    "TextSequencer + RNNClassifier": Pipeline(
        [
            ("tokens", TextSequencer()),
            (
                "rnn",
                RNNClassifier(
                    categorical="all",
                    max_epochs=10 if FAST else "auto",
                    random_state=0,
                ),
            ),
        ]
    ),
}
for name, model in models.items():
    model.fit(X_train, y_train)
    print(f"{name}: test accuracy {model.score(X_test, y_test):.3f}")
rnn = models["TextSequencer + RNNClassifier"]
print("vocabulary:", rnn["tokens"].vocabulary_)

# %%
# Accuracy by where "not" stands
# ------------------------------
order = ["not " + "_ " * gap + "adjective" for gap in range(3)] + ["adjective ... not"]
fig, ax = plt.subplots(figsize=(8, 4))
width = 0.27
for k, (name, model) in enumerate(models.items()):
    correct = model.predict(X_test) == y_test
    accuracy = [correct[cases == case].mean() for case in order]
    ax.bar(np.arange(len(order)) + (k - 1) * width, accuracy, width, label=name)
ax.axhline(0.5, color="k", lw=0.8, ls="--")
ax.set_xticks(range(len(order)), order)
ax.set_ylim(0, 1.1)
ax.set_ylabel("test accuracy")
ax.set_xlabel('where "not" stands (_: another word)')
ax.set_title("Where word order decides, a bag of words is at chance (dashed)")
ax.legend(loc="upper center", ncols=3, fontsize="small")
fig.tight_layout()

# %%
# One file, strings in
# --------------------
# ``skrnn.save`` stores the Pipeline, vocabulary and embeddings included,
# without pickle. (ONNX export of the network takes the token ids; the
# text-to-ids step stays in Python.)
with tempfile.TemporaryDirectory() as folder:
    path = os.path.join(folder, "reviews.skrnn")
    skrnn.save(rnn, path)
    loaded = skrnn.load(path)
print(loaded.predict(["the plot was not bad", "the plot was bad and not so"]))
