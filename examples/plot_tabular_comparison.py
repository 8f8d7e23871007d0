"""
An RNN against gradient boosting on lag features, under one cross-validation
============================================================================

The usual tabular answer to "predict the next hour" is gradient boosting on lag
features; course notes then build the deep-learning answer separately, with
windows cut by hand for a Keras or PyTorch LSTM, its own train/test split and
often a scaler fitted on the whole series. Two different evaluations cannot say
which model is better. Here both models start from the same time-ordered table
with the same target, each as a scikit-learn ``Pipeline`` whose first step turns
the table into what the model reads (lag columns for
``HistGradientBoostingRegressor``, windows from :class:`~skrnn.SequenceWindower`
for :class:`~skrnn.RNNRegressor`), and both are scored by the same
``TimeSeriesSplit`` and the same scorer in ``cross_validate``. Every step is
fitted on the training fold only, so no fold sees its future.
"""

# %%
# One time-ordered table
# ----------------------
# Synthetic hourly electricity demand over five months: a slow upward trend,
# morning and evening peaks that are lower at weekends, a U-shaped response to
# temperature (heating when cold, cooling when hot), and autocorrelated noise.
# The temperature follows the season and the time of day, with weather that
# drifts over days. Beside demand and temperature, the table holds the
# calendar columns that any forecaster would add. The target of each row is the
# *next* hour's demand, aligned with ``shift(-1)``; the last row has none and is
# dropped.
import os

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from scipy.signal import lfilter
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.model_selection import TimeSeriesSplit, cross_validate
from sklearn.pipeline import Pipeline

from skrnn import RNNRegressor, SequenceWindower

FAST = os.environ.get("SKRNN_FAST") == "1"  # CI runs every example quickly

rng = np.random.default_rng(0)
hours = pd.date_range("2023-03-01", periods=24 * (60 if FAST else 150), freq="h")
hour = hours.hour.to_numpy()
weekend = (hours.dayofweek >= 5).astype(float)
weather = lfilter([1.0], [1.0, -0.97], rng.normal(0, 0.6, len(hours)))
temperature = (
    14
    - 10 * np.cos(2 * np.pi * (hours.dayofyear.to_numpy() - 20) / 365)
    + 4 * np.sin(2 * np.pi * (hour - 9) / 24)
    + weather
)
peaks = np.exp(-((hour - 9) ** 2) / 8) + 1.2 * np.exp(-((hour - 19) ** 2) / 6)
demand = (
    900
    + 0.03 * np.arange(len(hours))
    + 250 * peaks * (1 - 0.35 * weekend)
    - 60 * weekend
    + 2.0 * (temperature - 16) ** 2
    + lfilter([1.0], [1.0, -0.7], rng.normal(0, 12, len(hours)))
)
table = pd.DataFrame(
    {
        "demand": demand,
        "temperature": temperature,
        "hour_sin": np.sin(2 * np.pi * hour / 24),
        "hour_cos": np.cos(2 * np.pi * hour / 24),
        "weekend": weekend,
    },
    index=hours,
)
target = table["demand"].shift(-1).rename("next_demand")
table, target = table.iloc[:-1], target.iloc[:-1]
print(f"{len(table)} hourly rows, {table.shape[1]} columns: {list(table.columns)}")
print(table.head(3).round(2))

# %%
# Two pipelines over the same table
# ---------------------------------
# Both models see the same information: the last 24 rows of every column.
# Gradient boosting reads it as 24 lag columns per column, made by a small
# transformer; the RNN reads it as a window of 24 time steps. Like
# ``SequenceWindower``, the lag transformer remembers the end of its training
# data: the first rows of a test fold take their lags from the training rows
# right before them (the past, not a leak), and rows without enough history get
# NaN, which ``HistGradientBoostingRegressor`` handles natively and skrnn reads
# as padding. Both estimators keep their defaults.
WINDOW = 24


class LagFeatures(TransformerMixin, BaseEstimator):
    """Columns ``<name>_lag<k>``: the value of each column ``k`` rows earlier."""

    def __init__(self, lags=WINDOW):
        self.lags = lags

    def fit(self, X, y=None):
        self.tail_ = X.iloc[len(X) - self.lags + 1 :]
        self.next_index_ = X.index[-1] + (X.index[-1] - X.index[-2])
        return self

    def transform(self, X):
        # Rows that continue the training data get its tail as their history.
        history = self.tail_ if X.index[0] == self.next_index_ else X.iloc[:0]
        rows = pd.concat([history, X])
        lagged = [rows.shift(k).add_suffix(f"_lag{k}") for k in range(self.lags)]
        return pd.concat(lagged, axis=1).iloc[len(history) :]


models = {
    "HistGradientBoosting on lags": Pipeline(
        [
            ("lags", LagFeatures(lags=WINDOW)),
            ("hgb", HistGradientBoostingRegressor(random_state=0)),
        ]
    ),
    "RNNRegressor on windows": Pipeline(
        [
            ("win", SequenceWindower(window=WINDOW)),
            # 5 epochs are enough to check that the example runs.
            ("rnn", RNNRegressor(max_epochs=5 if FAST else 50, random_state=0)),
        ]
    ),
}

# %%
# One cross-validation for both
# -----------------------------
# Five chronological folds: each model is trained on everything before a block
# of hours and scored on that block, by root mean squared error (RMSE), in MW.
# ``return_estimator`` and ``return_indices`` keep the fitted pipelines and the
# folds, for the plots below. As a yardstick, the persistence forecast ("the
# next hour is like this hour") is scored on the same test blocks.
cv = TimeSeriesSplit(n_splits=5)
scoring = "neg_root_mean_squared_error"
results = {
    name: cross_validate(
        model,
        table,
        target,
        cv=cv,
        scoring=scoring,
        return_estimator=True,
        return_indices=True,
    )
    for name, model in models.items()
}
persistence = [
    np.sqrt(np.mean((table["demand"].iloc[test] - target.iloc[test]) ** 2))
    for _, test in cv.split(table)
]

summary = pd.DataFrame(
    {
        name: {
            "RMSE mean": -r["test_score"].mean(),
            "RMSE sd": r["test_score"].std(),
            "fit s/fold": r["fit_time"].mean(),
            "predict s/fold": r["score_time"].mean(),
        }
        for name, r in results.items()
    }
).T
summary.loc["persistence (no model)"] = [np.mean(persistence), np.std(persistence)] + [
    np.nan
] * 2
print(summary.round(2).to_string())
per_fold = pd.DataFrame(
    {name: -r["test_score"] for name, r in results.items()}
    | {"persistence": persistence},
    index=pd.Index(range(1, cv.n_splits + 1), name="fold"),
)
print("\nRMSE per fold:")
print(per_fold.round(1).to_string())
ranked = summary["RMSE mean"].drop("persistence (no model)").sort_values()
gap = ranked.iloc[1] - ranked.iloc[0]
fold_sd = summary["RMSE sd"].iloc[:2].mean()
print(
    f"\nlower mean RMSE: {ranked.index[0]}, by {gap:.1f} MW "
    f"({'less' if gap < fold_sd else 'more'} than the fold-to-fold sd of "
    f"{fold_sd:.1f} MW)"
)
times = summary["fit s/fold"]
print(f"fit time, RNN / gradient boosting: {times.iloc[1] / times.iloc[0]:.0f}x")

# %%
# Scores per fold, and the last fold's predictions
# ------------------------------------------------
# Left: the RMSE of each fold. Later folds have more training data, but the
# last ones also reach warmer weather than any training fold has seen, where a
# tree's prediction cannot go beyond the targets it was trained on. Right: the
# last week of the last test fold, predicted by the pipelines that
# ``cross_validate`` fitted on the data before that fold.
#
# On this table the two models are about equally accurate: in the full run the
# difference of their mean RMSE is well inside the spread from fold to fold,
# and both nearly halve the error of persistence. Gradient boosting fits about
# ten times faster on a CPU (the ratio is printed above), so it is the baseline
# to beat. Because both models sit in the same ``cross_validate``, a change to
# either (a longer ``window``, more epochs, other lags, ``GridSearchCV`` over
# their parameters) is compared on the same folds, by the same scorer.
fig, (ax, pred_ax) = plt.subplots(
    1, 2, figsize=(12, 4), gridspec_kw={"width_ratios": [1, 2]}
)
for name, color in zip(per_fold.columns, ["C0", "C1", "C7"], strict=True):
    ax.plot(per_fold.index, per_fold[name], "o-", color=color, label=name)
ax.set_xticks(per_fold.index)
ax.set_xlabel("fold (training data grows)")
ax.set_ylabel("RMSE, MW")
ax.set_ylim(bottom=0)
ax.legend(fontsize=8)
ax.set_title("Test RMSE per fold")

week = slice(-7 * 24, None)
last_test = results[next(iter(results))]["indices"]["test"][-1]
truth = target.iloc[last_test]
pred_ax.plot(truth.index[week], truth.to_numpy()[week], "k-", lw=2, label="truth")
for (name, r), color in zip(results.items(), ["C0", "C1"], strict=True):
    predicted = r["estimator"][-1].predict(table.iloc[last_test])
    pred_ax.plot(truth.index[week], predicted[week], color=color, lw=1, label=name)
pred_ax.set_ylabel("next hour's demand, MW")
pred_ax.legend(fontsize=8)
pred_ax.set_title("Last week of the last test fold")
locator = mdates.AutoDateLocator()
pred_ax.xaxis.set_major_locator(locator)
pred_ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
fig.tight_layout()
plt.show()
