"""The PyTorch module behind the estimators: input scaling, recurrent layers, head."""

import torch
from torch import nn
from torch.nn import functional as F
from torch.nn.utils.rnn import pack_padded_sequence

_CELLS = {"gru": nn.GRU, "lstm": nn.LSTM, "rnn": nn.RNN}


class RecurrentNet(nn.Module):
    """Recurrent layers read to the last observed time step, then a linear head.

    Parameters
    ----------
    n_features : int
        Features per time step.
    n_outputs : int
        Width of the output (regression targets or class logits).
    cell : {"lstm", "gru", "rnn"}
        Recurrent cell.
    hidden_size, num_layers, bidirectional, dropout, nonlinearity
        As in :class:`torch.nn.LSTM` / :class:`torch.nn.RNN`. ``dropout`` also
        applies to the recurrent output feeding the head, so it acts for one layer.

    The input is standardised per feature by the buffers ``x_mean`` and ``x_scale``
    (set from the training data by the estimator), so the saved module carries its
    own preprocessing.
    """

    def __init__(
        self,
        n_features,
        n_outputs,
        cell="lstm",
        hidden_size=64,
        num_layers=1,
        bidirectional=False,
        dropout=0.0,
        nonlinearity="tanh",
    ):
        super().__init__()
        kwargs = {"nonlinearity": nonlinearity} if cell == "rnn" else {}
        self.rnn = _CELLS[cell](
            input_size=n_features,
            hidden_size=hidden_size,
            num_layers=num_layers,
            bidirectional=bidirectional,
            dropout=dropout if num_layers > 1 else 0.0,
            batch_first=True,
            **kwargs,
        )
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(hidden_size * (2 if bidirectional else 1), n_outputs)
        self.register_buffer("x_mean", torch.zeros(n_features))
        self.register_buffer("x_scale", torch.ones(n_features))

    def forward(self, X, starts=None, lengths=None):
        """Map a batch ``(batch, n_timesteps, n_features)`` to ``(batch, n_outputs)``.

        ``starts`` and ``lengths`` locate the observed steps of padded sequences;
        without them every time step is observed (the fast, exportable path).
        """
        if X.dtype != self.x_mean.dtype:
            X = X.to(self.x_mean.dtype)
        x = (X - self.x_mean) / self.x_scale
        if lengths is None:
            h = self._read_dense(x)
        else:
            h = self._read_padded(x, starts, lengths)
        if self.dropout.p > 0:  # nn.Dropout(0) is the identity, at a module call
            h = self.dropout(h)
        return self._head(h)

    def _head(self, h):
        if self.training or h.device.type != "cpu":
            return self.head(h)
        # A float32 GEMM takes another kernel for a batch of one, so a prediction
        # would depend on its batch in the last bits; float64 accumulation, rounded
        # back, makes predictions batch-invariant.
        weight, bias = self.head.weight.double(), self.head.bias.double()
        return F.linear(h.double(), weight, bias).float()

    def _read_dense(self, x):
        out, state = self.rnn(x)
        if not self.rnn.bidirectional:
            return out[:, -1]
        return _last_layer_state(state)

    def _read_padded(self, x, starts, lengths):
        # Shift every sequence to start at step 0; padding then trails, where a
        # forward pass never reads it and packing hides it from the backward one.
        if bool(starts.any()):
            steps = torch.arange(x.shape[1], device=x.device)
            index = (steps + starts[:, None]).clamp_(max=x.shape[1] - 1)
            x = x.gather(1, index[:, :, None].expand(-1, -1, x.shape[2]))
        # Zeros, not NaN, in the unread steps: 0 * NaN would poison the gradients.
        x = torch.nan_to_num(x, nan=0.0)
        if self.rnn.bidirectional:
            packed = pack_padded_sequence(
                x, lengths.cpu(), batch_first=True, enforce_sorted=False
            )
            _, state = self.rnn(packed)
            return _last_layer_state(state)
        out, _ = self.rnn(x)
        return out[torch.arange(len(out), device=out.device), lengths - 1]


def _last_layer_state(state):
    """Concatenate both directions' final hidden states of the last layer."""
    h_n = state[0] if isinstance(state, tuple) else state
    return torch.cat([h_n[-2], h_n[-1]], dim=1)
