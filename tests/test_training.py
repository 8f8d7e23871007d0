"""Training control: validation splits, early stopping, schedules, clipping,
divergence, weights, continued training, progress output and callbacks."""

import pickle

import numpy as np
import pytest
import sklearn
import torch
from packaging.version import Version
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from skorch.callbacks import Callback

from skrnn import RNNClassifier, RNNRegressor, SequenceWindower
from skrnn._training import epochs_per_fit


@pytest.fixture
def validated(fast):
    """Early stopping that never stops within the 3 epochs of ``fast``."""
    return {**fast, "early_stopping": True, "n_iter_no_change": 50}


@pytest.fixture
def series_windows(rng):
    """50 windows of one series, in time order, with next-step targets."""
    series = np.sin(np.arange(60) / 3) + 0.1 * rng.normal(size=60)
    X = np.lib.stride_tricks.sliding_window_view(series[:-1], 10)[:, :, None]
    return X, series[10:]


def test_last_split_holds_out_the_chronologically_last_samples(
    series_windows, validated
):
    X, y = series_windows
    reg = RNNRegressor(**validated, validation_fraction=0.2).fit(X, y)
    np.testing.assert_array_equal(reg.validation_indices_, np.arange(40, 50))


def test_validation_samples_never_reach_training(series_windows, validated, fast):
    X, y = series_windows
    reg = RNNRegressor(**validated, validation_fraction=0.2).fit(X, y)
    # Other validation targets, same training: not in the loss, not in the
    # target scaling.
    y_other = y.copy()
    y_other[40:] = 1000 * y[40:] + 7
    other = RNNRegressor(**validated, validation_fraction=0.2).fit(X, y_other)
    assert reg.loss_curve_ == other.loss_curve_
    assert reg.validation_loss_curve_ != other.validation_loss_curve_
    # And the same as training on the first 40 samples alone.
    alone = RNNRegressor(**fast).fit(X[:40], y[:40])
    np.testing.assert_allclose(reg.loss_curve_, alone.loss_curve_, rtol=1e-5)


def test_stratified_split_keeps_every_class_of_sorted_labels(rng, validated):
    X = rng.normal(size=(60, 5, 2))
    y = np.repeat(["a", "b", "c"], 20)  # sorted by class, as UCR archives are
    clf = RNNClassifier(**validated, validation_fraction=0.2).fit(X, y)
    labels, counts = np.unique(y[clf.validation_indices_], return_counts=True)
    assert labels.tolist() == ["a", "b", "c"]
    assert counts.tolist() == [4, 4, 4]
    last = RNNClassifier(**validated, validation_fraction=0.2, validation_split="last")
    assert np.unique(y[last.fit(X, y).validation_indices_]).tolist() == ["c"]


def test_random_split_is_reproducible_and_not_chronological(series_windows, validated):
    X, y = series_windows
    params = {**validated, "validation_split": "random", "validation_fraction": 0.2}
    first = RNNRegressor(**params).fit(X, y).validation_indices_
    again = RNNRegressor(**params).fit(X, y).validation_indices_
    np.testing.assert_array_equal(first, again)
    assert len(first) == 10
    assert not np.array_equal(first, np.arange(40, 50))


def test_stratified_split_is_for_labels_only(series_windows, validated):
    reg = RNNRegressor(**validated, validation_split="stratified")
    with pytest.raises(ValueError, match="validation_split='stratified'"):
        reg.fit(*series_windows)


def test_early_stopping_stops_and_restores_the_best_weights(rng):
    # Noise targets: the validation loss soon only grows as the model overfits.
    X, y = rng.normal(size=(60, 6, 2)), rng.normal(size=60)
    reg = RNNRegressor(
        hidden_size=32, max_epochs=200, early_stopping=True, n_iter_no_change=3
    )
    reg.set_params(validation_fraction=0.25, random_state=0).fit(X, y)
    assert reg.n_epochs_ == reg.best_epoch_ + 3 < 200
    curve = reg.validation_loss_curve_
    assert len(curve) == len(reg.loss_curve_) == reg.n_epochs_
    assert np.argmin(curve) + 1 == reg.best_epoch_
    valid = reg.validation_indices_
    loss = np.mean(((reg.predict(X[valid]) - y[valid]) / reg._y_scale) ** 2)
    np.testing.assert_allclose(loss, curve[reg.best_epoch_ - 1], rtol=1e-4)
    assert loss < curve[-1]


def test_without_early_stopping_nothing_is_held_out(sequences, fast):
    reg = RNNRegressor(**fast).fit(*sequences)
    assert reg.validation_indices_ is None
    assert reg.validation_loss_curve_ is None
    assert reg.best_epoch_ == reg.n_epochs_ == 3


class _GradientNorms(Callback):
    """Record the norm of all gradients as the optimizer will apply them."""

    def initialize(self):
        self.norms_ = []
        return self

    def on_grad_computed(self, net, named_parameters, **kwargs):
        grads = [p.grad for p in net.module_.parameters() if p.grad is not None]
        self.norms_.append(
            float(torch.linalg.vector_norm(torch.cat([g.ravel() for g in grads])))
        )


@pytest.mark.parametrize("clip_grad_norm", [1e-3, None])
def test_clip_grad_norm_bounds_the_applied_gradients(sequences, clip_grad_norm, fast):
    reg = RNNRegressor(**fast, clip_grad_norm=clip_grad_norm)
    reg.set_params(callbacks=[("norms", _GradientNorms())]).fit(*sequences)
    norms = dict(reg.net_.callbacks_)["norms"].norms_
    assert len(norms) == 3 * 2  # 3 epochs of 2 batches
    if clip_grad_norm is None:
        assert max(norms) > 1e-2
    else:
        assert max(norms) <= clip_grad_norm * (1 + 1e-5)


def test_warm_start_clips_by_the_current_clip_grad_norm(sequences, fast):
    reg = RNNRegressor(**fast, clip_grad_norm=1e-3, warm_start=True)
    reg.set_params(callbacks=[("norms", _GradientNorms())]).fit(*sequences)
    assert max(dict(reg.net_.callbacks_)["norms"].norms_) <= 1e-3 * (1 + 1e-5)
    reg.set_params(clip_grad_norm=None).fit(*sequences)
    assert max(dict(reg.net_.callbacks_)["norms"].norms_) > 1e-2


def test_user_callbacks_are_copied_and_names_are_checked(sequences, fast):
    callback = _GradientNorms()
    reg = RNNRegressor(**fast, callbacks=[("norms", callback)]).fit(*sequences)
    assert not hasattr(callback, "norms_")  # the parameter is left as it was
    assert dict(reg.net_.callbacks_)["norms"].norms_
    with pytest.raises(ValueError, match="'clip' is taken"):
        RNNRegressor(**fast, callbacks=[("clip", callback)]).fit(*sequences)
    with pytest.raises(ValueError, match="callbacks must be None or a list"):
        RNNRegressor(**fast, callbacks=[print]).fit(*sequences)


def test_diverging_loss_raises_and_leaves_the_estimator_unfitted(sequences):
    X, y = sequences
    reg = RNNRegressor(
        cell="rnn", nonlinearity="relu", optimizer="sgd", lr=1e6, clip_grad_norm=None
    )
    with pytest.raises(ValueError, match=r"loss became (nan|inf).*Lower lr"):
        reg.set_params(random_state=0).fit(X, y)
    with pytest.raises(sklearn.exceptions.NotFittedError, match="is not fitted"):
        reg.predict(X)


def _lr_per_epoch(estimator):
    return [row["event_lr"] for row in estimator.net_.history]


def test_plateau_schedule_divides_lr_by_5_without_improvement(sequences, fast):
    # tol larger than any decrease: no epoch counts as an improvement.
    reg = RNNRegressor(
        **{**fast, "max_epochs": 6}, lr_schedule="plateau", n_iter_no_change=4, tol=1e3
    ).fit(*sequences)
    # Epoch 1 improves on nothing; then 4 // 2 epochs without improvement each.
    np.testing.assert_allclose(_lr_per_epoch(reg), [1e-2, 1e-2, 1e-2, 2e-3, 2e-3, 4e-4])


def test_cosine_schedule_anneals_and_restarts_with_each_fit(sequences, fast):
    params = {**fast, "max_epochs": 4, "lr_schedule": "cosine", "warm_start": True}
    reg = RNNRegressor(**params).fit(*sequences)
    expected = 1e-2 * (1 + np.cos(np.pi * np.arange(4) / 4)) / 2
    np.testing.assert_allclose(_lr_per_epoch(reg), expected)
    reg.fit(*sequences)  # a continued fit runs its schedule from lr again
    np.testing.assert_allclose(_lr_per_epoch(reg)[4:], expected)


@pytest.mark.parametrize(
    ("n_train", "batch_size", "expected"),
    [
        (40, 32, 250),
        (67, 32, 167),
        (500, 32, 50),
        (1600, 32, 50),
        (6400, 32, 13),
        (200_000, 32, 1),
        (40, 8, 100),
    ],
)
def test_auto_epochs_make_50_between_500_and_2500_gradient_steps(
    n_train, batch_size, expected
):
    reg = RNNRegressor(batch_size=batch_size)
    assert epochs_per_fit(reg, n_train) == expected
    assert epochs_per_fit(reg.set_params(max_epochs=7), n_train) == 7


def test_auto_epochs_count_the_training_sequences_of_the_fit(sequences):
    # 48 sequences at batch_size=16: 3 steps per epoch, so 167 epochs for 500 steps;
    # the cosine schedule anneals over those epochs.
    reg = RNNRegressor(hidden_size=2, batch_size=16, lr_schedule="cosine")
    reg.fit(*sequences)
    assert reg.n_epochs_ == 167
    np.testing.assert_allclose(
        _lr_per_epoch(reg)[-1], 1e-2 * (1 + np.cos(np.pi * 166 / 167)) / 2
    )
    reg.set_params(warm_start=True).partial_fit(*sequences)  # one epoch, as always
    assert reg.n_epochs_ == 168


def test_integer_sample_weight_equals_repeating_samples(sequences, rng, fast):
    X, y = sequences
    weight = rng.integers(0, 4, size=len(y))
    # One full batch: the weighted and the repeated loss are the same function.
    params = {**fast, "max_epochs": 10, "batch_size": 1000}
    weighted = RNNRegressor(**params).fit(X, y, sample_weight=weight)
    repeated = RNNRegressor(**params).fit(np.repeat(X, weight, 0), np.repeat(y, weight))
    np.testing.assert_allclose(weighted.predict(X), repeated.predict(X), atol=1e-5)
    unweighted = RNNRegressor(**params).fit(X, y)
    assert np.abs(unweighted.predict(X) - weighted.predict(X)).max() > 1e-3


def test_uniform_sample_weight_changes_nothing(sequences, fast):
    X, y = sequences
    plain = RNNRegressor(**fast).fit(X, y).predict(X)
    uniform = RNNRegressor(**fast).fit(X, y, sample_weight=np.full(len(y), 3.0))
    np.testing.assert_array_equal(uniform.predict(X), plain)


@pytest.mark.parametrize(
    ("weight", "message"),
    [(-np.ones(48), "non-negative"), (0, "zero")],
)
def test_bad_sample_weight_is_a_clear_error(sequences, weight, message, fast):
    with pytest.raises(ValueError, match=message):
        RNNRegressor(**fast).fit(*sequences, sample_weight=weight)


@pytest.mark.skipif(
    Version(sklearn.__version__) < Version("1.7"),
    reason="scikit-learn 1.6's GridSearchCV asks the Pipeline itself for a score "
    "request, which later versions route to its steps",
)
def test_sample_weight_is_routed_through_pipeline_and_grid_search(rng, fast):
    series = rng.normal(size=(80, 2)).cumsum(axis=0)
    y, weight = series[:, 0] - series[:, 1], np.tile([0.0, 1.0, 3.0, 1.0], 20)
    with sklearn.config_context(enable_metadata_routing=True):
        pipe = make_pipeline(
            SequenceWindower(window=4),
            RNNRegressor(**fast)
            .set_fit_request(sample_weight=True)
            .set_score_request(sample_weight=True),
        )
        search = GridSearchCV(pipe, {"rnnregressor__hidden_size": [4, 8]}, cv=2)
        search.fit(series, y, sample_weight=weight)
        best = search.best_estimator_
        direct = sklearn.clone(best).fit(series, y, sample_weight=weight)
        unweighted = sklearn.clone(best).fit(series, y)
    np.testing.assert_array_equal(best.predict(series), direct.predict(series))
    assert not np.array_equal(best.predict(series), unweighted.predict(series))


def test_balanced_class_weight_finds_more_of_a_rare_class(rng, fast):
    X = rng.normal(size=(200, 6, 1))
    # Overlapping classes, 1 in 10 "rare": unweighted, the model rarely says so.
    y = np.where(X[:, -1, 0] + rng.normal(size=200) > 1.9, "rare", "common")
    params = {**fast, "max_epochs": 20}
    plain = RNNClassifier(**params).fit(X, y)
    balanced = RNNClassifier(**params, class_weight="balanced").fit(X, y)
    as_dict = RNNClassifier(**params, class_weight={"rare": 5.0}).fit(X, y)
    rare = y == "rare"
    found = [np.mean(est.predict(X[rare]) == "rare") for est in (plain, as_dict)]
    assert found[0] < found[1] <= np.mean(balanced.predict(X[rare]) == "rare")
    with pytest.raises(ValueError, match="class_weight must be None, 'balanced'"):
        RNNClassifier(**fast, class_weight="balance").fit(X, y)


def test_partial_fit_trains_one_epoch_per_call(labelled_sequences, fast):
    X, y = labelled_sequences
    clf = RNNClassifier(**fast)
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        clf.partial_fit(X, y)
    clf.partial_fit(X[:24], y[:24], classes=np.unique(y))
    module = clf.net_.module_
    clf.partial_fit(X[24:], y[24:])
    assert clf.net_.module_ is module
    assert clf.n_epochs_ == len(clf.loss_curve_) == 2
    assert clf.predict_proba(X).shape == (48, 3)
    with pytest.raises(ValueError, match="differs from the classes"):
        clf.partial_fit(X, y, classes=["up", "down"])


def test_partial_fit_matches_fit_epoch_by_epoch(sequences, fast):
    X, y = sequences
    fitted = RNNRegressor(**{**fast, "max_epochs": 1, "shuffle": False}).fit(X, y)
    partial = RNNRegressor(**{**fast, "shuffle": False}).partial_fit(X, y)
    np.testing.assert_array_equal(partial.predict(X), fitted.predict(X))


def test_verbose_levels(sequences, capsys, validated):
    X, y = sequences
    RNNRegressor(**validated).fit(X, y)
    assert capsys.readouterr() == ("", "")
    RNNRegressor(**validated, verbose=1).fit(X, y)
    out, err = capsys.readouterr()
    assert out == ""
    assert "RNNRegressor: 100%" in err
    assert "3/3" in err
    assert "train_loss=" in err
    assert "valid_loss=" in err
    RNNRegressor(**validated, verbose=2).fit(X, y)
    out, _ = capsys.readouterr()
    assert "train_loss" in out
    assert "valid_loss" in out
    rows = [line.split()[0] for line in out.splitlines()[2:] if line.strip()]
    assert rows[:3] == ["1", "2", "3"]  # one row per epoch, after header and rule


def test_fitted_with_every_control_pickles_without_its_data(sequences, validated, fast):
    X, y = sequences
    X, y = np.tile(X, (20, 1, 1)), np.tile(y, 20)
    plain = RNNRegressor(**fast).fit(X, y)
    controlled = RNNRegressor(
        **validated, lr_schedule="plateau", verbose=1, callbacks=[_GradientNorms()]
    ).fit(X, y)
    restored = pickle.loads(pickle.dumps(controlled))
    np.testing.assert_array_equal(restored.predict(X), controlled.predict(X))
    assert len(pickle.dumps(controlled)) < len(pickle.dumps(plain)) + X.nbytes / 10


class _Threads(Callback):
    """Records the torch threads each epoch runs with."""

    def on_epoch_end(self, net, **kwargs):
        self.seen_ = [*getattr(self, "seen_", []), torch.get_num_threads()]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, 1),  # a small model: one thread
        ({"n_threads": 2}, 2),
        ({"hidden_size": 256}, "caller's"),  # large enough to gain from more
    ],
)
def test_thread_policy_during_fit_and_the_callers_setting_after(
    sequences, params, expected, fast
):
    before = torch.get_num_threads()
    torch.set_num_threads(3)
    try:
        reg = RNNRegressor(**{**fast, **params}, callbacks=[("threads", _Threads())])
        reg.fit(*sequences)
        seen = dict(reg.net_.callbacks_)["threads"].seen_
        assert set(seen) == {3 if expected == "caller's" else expected}
        reg.predict(sequences[0])
        assert torch.get_num_threads() == 3
    finally:
        torch.set_num_threads(before)
