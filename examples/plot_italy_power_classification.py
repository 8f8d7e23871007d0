"""
Classifying daily power-demand curves (ItalyPowerDemand)
========================================================

ItalyPowerDemand is a small benchmark of the UCR time-series classification
archive: each sample is one day of Italian electricity demand, 24 hourly values,
and the label says which half of the year the day falls in (October to March, or
April to September). There are only 67 training days and 1,029 test days. Course
notes would build a Keras ``Sequential([LSTM(64), Dense(2, "softmax")])`` or a
PyTorch ``nn.LSTM`` with a linear head, one-hot or integer-encode the labels and
write the training loop; here :class:`~skrnn.RNNClassifier` is that network,
takes the string labels as they are, and is scored like any scikit-learn
classifier. The example prints the test accuracy next to published results,
looks at ``predict_proba``, and shows what ``class_weight="balanced"`` does when
one class is rare.

The data ships with sktime (``pip install -e ".[examples]"``).
"""

# %%
# The data
# --------
# sktime returns the series as ``(n_samples, n_channels, n_timesteps)``, the
# layout of convolutional networks; recurrent networks (and skrnn) read
# ``(n_samples, n_timesteps, n_features)``, so we swap the last two axes. The
# labels are the strings ``"1"`` and ``"2"``.
import os
import time

import matplotlib.pyplot as plt
import numpy as np
from sklearn.metrics import (
    ConfusionMatrixDisplay,
    accuracy_score,
    balanced_accuracy_score,
    recall_score,
)
from sktime.datasets import load_italy_power_demand

from skrnn import RNNClassifier

FAST = os.environ.get("SKRNN_FAST") == "1"  # CI runs every example quickly
SEEDS = [0, 1] if FAST else [0, 1, 2, 3, 4]

X_train, y_train = load_italy_power_demand(split="train", return_type="numpy3D")
X_test, y_test = load_italy_power_demand(split="test", return_type="numpy3D")
X_train, X_test = X_train.transpose(0, 2, 1), X_test.transpose(0, 2, 1)
classes, counts = np.unique(y_train, return_counts=True)
print(f"train {X_train.shape}, test {X_test.shape}")
per_class = dict(zip(classes.tolist(), counts.tolist(), strict=True))
print(f"training days per class: {per_class}")

# %%
# An LSTM with the default settings
# ---------------------------------
# The defaults: one LSTM layer of 64 units, Adam at ``lr=1e-2``, batches of 32,
# and ``max_epochs="auto"``: 50 epochs, or at least 500 gradient steps. With 67
# training sequences (3 batches an epoch) that makes 167 epochs; a fixed 50
# would be only 150 steps, shown beside the default. Inputs are standardised
# inside the estimator. The result depends on the random initialisation, so we
# fit a few seeds and report them all.
print("published test accuracy: ROCKET 0.970, LSTM-FCN 0.962, 1NN-DTW 0.950")
for max_epochs in ["auto"] if FAST else ["auto", 50]:
    scores, seconds = [], []
    for seed in SEEDS:
        start = time.perf_counter()
        clf = RNNClassifier(max_epochs=max_epochs, random_state=seed)
        clf.fit(X_train, y_train)
        seconds.append(time.perf_counter() - start)
        scores.append(clf.score(X_test, y_test))
        if max_epochs == "auto" and seed == 0:
            model = clf  # the default model, examined below
    print(
        f"RNNClassifier, max_epochs={max_epochs!r} ({clf.n_epochs_} epochs): test "
        "accuracy "
        f"{np.mean(scores):.3f} +- {np.std(scores):.3f} over seeds {SEEDS} "
        f"({', '.join(f'{s:.3f}' for s in scores)}); {np.median(seconds):.1f} s a fit"
    )

# %%
# Probabilities
# -------------
# ``predict_proba`` has one column per class, in the order of ``classes_``, and
# each row sums to 1; here for the first three test days of each class.
# ``predict`` returns the labels themselves, with the same type as ``y``.
show = np.concatenate([np.flatnonzero(y_test == label)[:3] for label in classes])
proba = model.predict_proba(X_test[show])
predicted = model.predict(X_test[show])
print(f"classes_: {model.classes_}")
print("test day  P(class 1)  P(class 2)  predicted  true")
for day, p, label in zip(show, proba, predicted, strict=True):
    print(f"{day:8d}  {p[0]:10.3f}  {p[1]:10.3f}  {label:>9}  {y_test[day]:>4}")

# %%
# A rare class and ``class_weight``
# ---------------------------------
# Keep every training day of class ``"1"`` but only 4 of the 33 days of class
# ``"2"``: with 34 against 4, a network that minimises the plain average loss
# learns to answer ``"1"`` whenever in doubt. ``class_weight="balanced"`` weights
# each class by ``n_samples / (n_classes * count)``, so the 4 rare days count as
# much as the 34 common ones together. The full, balanced test set then shows
# the recall of the rare class and the balanced accuracy (the mean recall of
# the two classes). Each draw of the 4 days is repeated with its own seed.
rare, n_rare = "2", 4
imbalance = {None: [], "balanced": []}
for draw in SEEDS[:3]:
    rng = np.random.default_rng(draw)
    kept_rare = rng.choice(np.flatnonzero(y_train == rare), n_rare, replace=False)
    subset = np.sort(np.concatenate([np.flatnonzero(y_train != rare), kept_rare]))
    for class_weight, scores in imbalance.items():
        clf = RNNClassifier(class_weight=class_weight, random_state=draw)
        y_pred = clf.fit(X_train[subset], y_train[subset]).predict(X_test)
        scores.append(
            [
                accuracy_score(y_test, y_pred),
                balanced_accuracy_score(y_test, y_pred),
                recall_score(y_test, y_pred, pos_label=rare),
            ]
        )
n_common = int((y_train != rare).sum())
print(f"\ntraining on {n_common} days of class 1 and {n_rare} of class {rare}")
print(f"{'class_weight':>14}{'accuracy':>10}{'balanced':>10}{'recall of 2':>13}")
for class_weight, scores in imbalance.items():
    accuracy, balanced, recall = np.mean(scores, axis=0)
    print(f"{class_weight!s:>14}{accuracy:10.3f}{balanced:10.3f}{recall:13.3f}")

# %%
# The days, and the confusion matrix
# ----------------------------------
# Left: a few training days of each class. Right: the confusion matrix of the
# default model on the 1,029 test days.
fig, (ax, cm_ax) = plt.subplots(
    1, 2, figsize=(11, 4), gridspec_kw={"width_ratios": [3, 2]}
)
hours = np.arange(1, 25)
for label, color in zip(classes, ["C0", "C1"], strict=True):
    days = np.flatnonzero(y_train == label)[:5]
    for i, day in enumerate(days):
        ax.plot(
            hours,
            X_train[day, :, 0],
            color=color,
            alpha=0.8,
            label=f"class {label}" if i == 0 else None,
        )
ax.set_xlabel("hour of the day")
ax.set_ylabel("standardised demand")
ax.set_title("Five training days of each class")
ax.legend()
ConfusionMatrixDisplay.from_estimator(model, X_test, y_test, ax=cm_ax, colorbar=False)
cm_ax.set_title(f"Default model, seed 0: accuracy {model.score(X_test, y_test):.3f}")
fig.tight_layout()
plt.show()
