"""skrnn's CPU training path for GRU and RNN cells against torch's own modules."""

import numpy as np
import pytest
import torch
from torch import nn

from skrnn import RNNRegressor, _module
from skrnn._module import RecurrentNet
from skrnn._recurrence import train_recurrence

LAYOUTS = [
    ("GRU", {}),
    ("GRU", {"num_layers": 2}),
    ("GRU", {"bidirectional": True}),
    ("GRU", {"num_layers": 2, "bidirectional": True}),
    ("RNN", {}),
    ("RNN", {"nonlinearity": "relu"}),
    ("RNN", {"num_layers": 2, "bidirectional": True}),
    ("RNN", {"num_layers": 2, "nonlinearity": "relu", "bidirectional": True}),
]


def _outputs_and_gradients(rnn, x, fast):
    """Outputs, final states and the gradients of a loss that uses both."""
    rnn.zero_grad(set_to_none=True)
    x = x.clone().requires_grad_()
    out, h_n = train_recurrence(rnn, x) if fast else rnn(x)
    weights = torch.linspace(-1, 1, out.shape[-1], dtype=x.dtype)
    loss = (out**2).sum() + (out[:, -1] * weights).sum() + (h_n**3).sum()
    loss.backward()
    return [out.detach(), h_n.detach(), x.grad] + [p.grad for p in rnn.parameters()]


@pytest.mark.parametrize(("cell", "layout"), LAYOUTS)
@pytest.mark.parametrize(
    ("dtype", "rtol"), [(torch.float32, 1e-5), (torch.float64, 1e-12)]
)
def test_gradients_match_torch_modules(cell, layout, dtype, rtol):
    torch.manual_seed(0)
    rnn = getattr(nn, cell)(3, 6, batch_first=True, **layout).to(dtype)
    x = torch.randn(5, 9, 3, dtype=dtype)
    expected = _outputs_and_gradients(rnn, x, fast=False)
    got = _outputs_and_gradients(rnn, x, fast=True)
    for e, g in zip(expected, got, strict=True):
        assert g.shape == e.shape
        torch.testing.assert_close(g, e, rtol=rtol, atol=rtol * e.abs().max().item())


@pytest.mark.parametrize("cell", ["GRU", "RNN"])
def test_one_time_step_and_unused_outputs(cell):
    # A single step leaves the loop over time empty; a loss of the final state
    # alone leaves no gradient for the outputs, and one of the outputs alone none
    # for the final state.
    torch.manual_seed(1)
    rnn = getattr(nn, cell)(2, 4, batch_first=True)
    for steps, use in [(1, "both"), (6, "out"), (6, "h_n")]:
        x = torch.randn(3, steps, 2)
        grads = []
        for fast in (False, True):
            rnn.zero_grad(set_to_none=True)
            out, h_n = train_recurrence(rnn, x) if fast else rnn(x)
            loss = {"both": out.sum() + h_n.sum(), "out": out.sum(), "h_n": h_n.sum()}
            loss[use].backward()
            grads.append([p.grad.clone() for p in rnn.parameters()])
        for e, g in zip(*grads, strict=True):
            torch.testing.assert_close(g, e, rtol=1e-5, atol=1e-6)


def _calls(monkeypatch):
    calls = []

    def spy(rnn, x):
        calls.append(type(rnn).__name__)
        return train_recurrence(rnn, x)

    monkeypatch.setattr(_module, "train_recurrence", spy)
    return calls


@pytest.mark.parametrize(
    ("cell", "hidden_size", "expected"),
    [("gru", 8, ["GRU"]), ("gru", 128, []), ("rnn", 128, ["RNN"]), ("lstm", 8, [])],
)
def test_training_takes_the_path_where_it_is_faster(
    monkeypatch, cell, hidden_size, expected
):
    calls = _calls(monkeypatch)
    net = RecurrentNet(2, 1, cell=cell, hidden_size=hidden_size)
    x = torch.randn(4, 5, 2)
    net(x).sum().backward()
    assert calls == expected
    with torch.no_grad():  # prediction: torch's forward is as fast
        net(x)
    assert calls == expected


def test_padded_sequences_train_through_it(monkeypatch):
    # Sequences of different lengths read their last observed step.
    calls = _calls(monkeypatch)
    torch.manual_seed(2)
    net = RecurrentNet(1, 1, cell="gru", hidden_size=4)
    x = torch.randn(3, 6, 1)
    x[0, 4:] = float("nan")
    starts, lengths = torch.tensor([0, 2, 0]), torch.tensor([4, 4, 6])
    x[1, :2] = float("nan")
    net(x, starts, lengths).sum().backward()
    fast = [p.grad.clone() for p in net.parameters()]
    assert calls == ["GRU"]
    net.zero_grad()
    with monkeypatch.context() as m:
        m.setattr(_module, "train_recurrence", lambda rnn, x: rnn(x))
        net(x, starts, lengths).sum().backward()
    for e, g in zip([p.grad for p in net.parameters()], fast, strict=True):
        torch.testing.assert_close(g, e, rtol=1e-5, atol=1e-7)


def test_dropout_between_layers_in_training_only():
    torch.manual_seed(3)
    rnn = nn.GRU(2, 4, num_layers=2, dropout=0.5, batch_first=True)
    x = torch.randn(3, 5, 2)
    first, _ = train_recurrence(rnn, x)
    second, _ = train_recurrence(rnn, x)
    assert not torch.equal(first, second)  # two different dropout masks
    rnn.eval()  # gradients in evaluation mode: no dropout, as in nn.GRU
    torch.testing.assert_close(train_recurrence(rnn, x)[0], rnn(x)[0])


@pytest.mark.parametrize("cell", ["gru", "rnn"])
def test_estimator_fit_is_reproducible_and_learns(cell):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, 8, 1)).astype(np.float32)
    y = X[:, -3:, 0].sum(axis=1)
    fits = [
        RNNRegressor(cell=cell, hidden_size=16, max_epochs=30, random_state=0).fit(X, y)
        for _ in range(2)
    ]
    np.testing.assert_array_equal(fits[0].predict(X), fits[1].predict(X))
    assert fits[0].score(X, y) > 0.8


def test_cpu_backward_torch_trains_through_autograd(monkeypatch):
    calls = _calls(monkeypatch)
    X = np.random.default_rng(0).normal(size=(16, 5, 1)).astype(np.float32)
    fits = {
        backward: RNNRegressor(
            cell="gru",
            hidden_size=8,
            max_epochs=2,
            cpu_backward=backward,
            random_state=0,
        ).fit(X, X[:, -1, 0])
        for backward in ("torch", "auto")
    }
    assert calls == ["GRU"] * 2  # one batch an epoch, "auto" only
    # The same math: the two fits differ by float rounding alone.
    np.testing.assert_allclose(
        fits["torch"].predict(X), fits["auto"].predict(X), rtol=1e-4, atol=1e-5
    )
