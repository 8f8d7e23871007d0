"""
What the network learned: hidden states as features
===================================================

The course notes suggest looking inside a trained recurrent network: the final
hidden state is a learned summary of each sequence, and a good one separates the
classes. ``transform`` on a fitted :class:`~skrnn.RNNClassifier` returns that
state (what its output layer reads), so it can be projected with PCA, or fed to
another model inside a ``Pipeline``. This example trains the classifier on
BasicMotions (accelerometer and gyroscope recordings of four movements:
standing, walking, running, badminton), projects the test recordings' hidden
states onto two principal components, and fits a gradient-boosting classifier
on the states.

The data ships with sktime (``pip install -e ".[examples]"``).
"""

# %%
# The classifier and its hidden states
# ------------------------------------
import os

import matplotlib.pyplot as plt
import numpy as np
from sklearn.decomposition import PCA
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.pipeline import Pipeline
from sktime.datasets import load_basic_motions

from skrnn import RNNClassifier

FAST = os.environ.get("SKRNN_FAST") == "1"  # CI runs every example quickly

X_train, y_train = load_basic_motions(split="train", return_type="numpy3D")
X_test, y_test = load_basic_motions(split="test", return_type="numpy3D")
X_train, X_test = X_train.transpose(0, 2, 1), X_test.transpose(0, 2, 1)
print(f"{len(X_train)} training, {len(X_test)} test recordings of {X_train.shape[1:]}")

rnn = RNNClassifier(max_epochs=5 if FAST else "auto", random_state=0)
rnn.fit(X_train, y_train)
states = rnn.transform(X_test)
print(f"test accuracy {rnn.score(X_test, y_test):.3f}; states {states.shape}")
print("columns:", list(rnn.get_feature_names_out()[:3]), "...")

# %%
# The states of the test recordings, in two dimensions
# ----------------------------------------------------
# PCA is fitted on the training recordings' states and applied to the test
# ones: each movement forms its own cloud where the network learned to tell
# them apart.
pca = PCA(n_components=2).fit(rnn.transform(X_train))
projected = pca.transform(states)
fig, ax = plt.subplots(figsize=(6, 4.5))
for label in np.unique(y_test):
    ax.scatter(*projected[y_test == label].T, label=label, s=25)
ax.set_xlabel(f"PC 1 ({pca.explained_variance_ratio_[0]:.0%} of the variance)")
ax.set_ylabel(f"PC 2 ({pca.explained_variance_ratio_[1]:.0%})")
ax.set_title("BasicMotions test recordings: final hidden states")
ax.legend()
fig.tight_layout()

# %%
# The states as features for another model
# ----------------------------------------
# In a Pipeline the network is fitted on ``y`` and then transforms: here it
# feeds a gradient-boosting classifier.
pipe = Pipeline(
    [
        ("rnn", RNNClassifier(max_epochs=5 if FAST else "auto", random_state=0)),
        ("hgb", HistGradientBoostingClassifier(random_state=0)),
    ]
)
pipe.fit(X_train, y_train)
print(f"boosting on the hidden states: test accuracy {pipe.score(X_test, y_test):.3f}")
plt.show()

# %%
# In a full run the network scores 0.975 on the test recordings and boosting
# on its states 0.950: with 40 training recordings, the states already hold
# what separates the movements, and a second model adds nothing here. The
# pattern pays where the states are one input among others (static features
# of a customer beside the network's summary of their history, say).
