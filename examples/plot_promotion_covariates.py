"""
Covariates with roles: a promotion calendar known in advance
============================================================

Sales depend on things other than past sales. Some are only observed as they
happen (past-only covariates), some are planned ahead (known-future
covariates: promotions, holidays, the day of the week), and some never change
within a series (static covariates: a store's size). A forecaster must feed each
at the right time step: tomorrow's promotion is known today, so the window
that forecasts tomorrow must contain it.

This example keeps three stores in one long DataFrame (a store column, a date
column, the values), fits one :class:`~skrnn.RNNRegressor` behind a
:class:`~skrnn.SequenceWindower` on all of them, and forecasts the next two
weeks of every store. It compares a model that sees the promotion calendar as
known-future (``known_future=["promo"]``) with the same model that sees it only
up to the day before, and shows the forecast reacting to a planned promotion on
exactly its day.
"""

# %%
# Three stores in one long table
# ------------------------------
# Daily sales with a weekly rhythm, a level per store (its size, a static
# covariate), and promotions on about one day in eight that lift that day's
# sales by half. The promotion calendar is planned, so it is known ahead.
import os

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.metrics import mean_absolute_error
from sklearn.pipeline import make_pipeline

from skrnn import RNNRegressor, SequenceWindower, future_targets, recursive_forecast

FAST = os.environ.get("SKRNN_FAST") == "1"  # CI runs every example quickly
HORIZON, WINDOW = 14, 14
rng = np.random.default_rng(0)
dates = pd.date_range("2024-01-01", periods=420, freq="D")
stores = []
for store, size in [("north", 1.0), ("south", 2.5), ("east", 6.0)]:
    promo = (rng.random(len(dates)) < 0.125).astype(float)
    weekly = 1 + 0.3 * np.sin(2 * np.pi * dates.dayofweek / 7)
    sales = size * 20 * weekly * (1 + 0.5 * promo) + rng.normal(0, size, len(dates))
    stores.append(
        pd.DataFrame(
            {"store": store, "date": dates, "sales": sales, "promo": promo,
             "weekday": dates.dayofweek / 6, "size": size}
        )
    )  # fmt: skip
table = pd.concat(stores, ignore_index=True)
cutoff = dates[-HORIZON]
train, test = table[table["date"] < cutoff], table[table["date"] >= cutoff]
print(table.head())

# %%
# Roles, and the rows they make
# -----------------------------
# :func:`~skrnn.future_targets` pairs every row with the next day's sales,
# within its own store. With ``known_future``, the promotion and weekday columns
# are brought forward: row ``t`` holds their values for ``t + 1``, the day it
# forecasts. The store size is the same on every row of a store, so the
# windower repeats it at every time step.
roles = {"id_col": "store", "time_col": "date"}
known = ["promo", "weekday"]
X, y = future_targets(train, "sales", known_future=known, **roles)
print(X.columns.tolist())


def model():
    return make_pipeline(
        SequenceWindower(window=WINDOW, **roles),
        RNNRegressor(max_epochs=3 if FAST else 60, random_state=0),
    )


ahead = model().fit(X, y)
X_late, y_late = future_targets(train, "sales", **roles)
late = model().fit(X_late, y_late)  # the same columns, seen up to today only

# %%
# One day ahead: the value of knowing tomorrow's plan
# ---------------------------------------------------
# Both models forecast each day of the last two weeks from the actual history.
# The one without roles sees a promotion only the day after it happened.
for name, fitted, columns in [
    ("known-future", ahead, known),
    ("past-only", late, None),
]:
    X_all, y_all = future_targets(table, "sales", known_future=columns, **roles)
    tested = (X_all["date"] >= cutoff - pd.Timedelta(days=1)).to_numpy()
    error = mean_absolute_error(y_all[tested], fitted.predict(X_all)[tested])
    print(f"one-day-ahead MAE, promo and weekday {name:>12}: {error:6.2f}")

# %%
# Every store, two weeks ahead
# ----------------------------
# :func:`~skrnn.recursive_forecast` takes the long table and the planned
# calendar of the coming days (a long DataFrame too), feeds each day's plan to
# the forecast of that day, carries the static size forward, and returns a long
# DataFrame indexed by (store, date).
future = test[["store", "date", *known]]
forecast = recursive_forecast(
    ahead, train, HORIZON, target="sales", known_future=known, future=future,
    static="size",
)  # fmt: skip
print(forecast.head())
truth = test.set_index(["store", "date"])["sales"]
last_week = train.groupby("store").tail(7).set_index(["store", "date"])["sales"]
weekly_naive = np.concatenate(
    [np.tile(last_week.loc[s].to_numpy(), 2) for s in forecast.index.unique("store")]
)
actual = truth.loc[forecast.index]
for name, values in [("RNN", forecast["forecast"]), ("last week", weekly_naive)]:
    print(f"MAE over 14 days, {name:>9}: {mean_absolute_error(actual, values):.2f}")

# %%
# A planned promotion moves the forecast of its day
# -------------------------------------------------
# The same store forecast twice: with its real calendar, and with a promotion
# added on day 5. Only day 5's forecast rises (and, through the fed-back
# forecast, the days after it a little).
north = train[train["store"] == "north"]
plan = future[future["store"] == "north"].copy()
extra = plan.copy()
extra.iloc[4, extra.columns.get_loc("promo")] = 1.0
fig, ax = plt.subplots(figsize=(9, 4))
ax.plot(north["date"].iloc[-28:], north["sales"].iloc[-28:], color="black", lw=1)
ax.plot(plan["date"], truth.loc["north"], color="black", ls=":", label="actual")
for name, calendar in [("planned calendar", plan), ("promotion added on day 5", extra)]:
    forecast = recursive_forecast(
        ahead, north, HORIZON, target="sales", known_future=known,
        future=calendar, static="size", **roles,
    )  # fmt: skip
    ax.plot(plan["date"], forecast["forecast"].to_numpy(), marker=".", label=name)
ax.axvline(plan["date"].iloc[4], color="grey", lw=0.5)
ax.set_ylabel("sales, north store")
ax.legend()
fig.tight_layout()
plt.show()
