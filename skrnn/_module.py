"""The PyTorch side: input scaling, recurrent layers, head, and the losses."""

import itertools

import torch
from torch import nn
from torch.nn import functional as F
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from ._recurrence import train_recurrence
from ._scaling import sequence_statistics, standardise

_CELLS = {"gru": nn.GRU, "lstm": nn.LSTM, "rnn": nn.RNN}


class RecurrentNet(nn.Module):
    """Recurrent layers read to the last observed time step, then a dense head.

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
    return_sequences : bool
        Whether to map every time step to an output (many-to-many) instead of
        the last observed one (many-to-one).
    head_layers : tuple of int
        Widths of ReLU layers between the recurrent output and the output layer.
    cpu_backward : {"auto", "torch"}
        "auto" trains GRU layers of up to 64 units and RNN layers on a CPU
        through skrnn's own backward pass (``_recurrence.py``); "torch" always
        through autograd's.
    sequence_scaling : {"mean_abs", "standard", "last"} or None
        The statistic by which each input sequence is first scaled by its own
        values (see :func:`~skrnn._scaling.sequence_statistics`); None scales
        by the training data's statistics only.
    quantiles : tuple of float or None
        Increasing quantile levels in (0, 1), one of them the one nearest 0.5
        (the anchor): the network then predicts every level of every output, an
        extra last axis of the output, and the levels never cross (see
        :meth:`to_quantiles`). None predicts one value per output.
    categorical : tuple of int
        Positions of the input features that hold integer codes (token ids,
        category codes); each is read through a :class:`CodeEmbedding`.
    n_categories, code_ranges, embedding_sizes : tuple of int
        Per categorical feature: the number of codes seen in training, one more
        than the largest of them, and the width of its embedding.

    The numeric input features are standardised by the buffers ``x_mean`` and
    ``x_scale`` (set from the training data by :meth:`set_input_scaling`), so
    the saved module carries its own preprocessing; with ``sequence_scaling``,
    after each sequence was scaled by its own statistics. The recurrent layers
    read them followed by the embeddings of the categorical features.
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
        return_sequences=False,
        head_layers=(),
        cpu_backward="auto",
        sequence_scaling=None,
        quantiles=None,
        categorical=(),
        n_categories=(),
        code_ranges=(),
        embedding_sizes=(),
    ):
        super().__init__()
        self.n_features = n_features
        self.categorical = tuple(categorical)
        numeric = [f for f in range(n_features) if f not in self.categorical]
        self.embeddings = nn.ModuleList(
            CodeEmbedding(*sizes)
            for sizes in zip(n_categories, code_ranges, embedding_sizes, strict=True)
        )
        if self.categorical:
            # Not part of the state: they follow from the parameters.
            for name, positions in (("_numeric", numeric), ("_codes", categorical)):
                self.register_buffer(
                    name, torch.tensor(positions, dtype=torch.int64), persistent=False
                )
        kwargs = {"nonlinearity": nonlinearity} if cell == "rnn" else {}
        self.rnn = _CELLS[cell](
            input_size=len(numeric) + sum(embedding_sizes),
            hidden_size=hidden_size,
            num_layers=num_layers,
            bidirectional=bidirectional,
            dropout=dropout if num_layers > 1 else 0.0,
            batch_first=True,
            **kwargs,
        )
        self.return_sequences = return_sequences
        self.cpu_backward = cpu_backward
        self.sequence_scaling = sequence_scaling
        self.dropout = nn.Dropout(dropout)
        widths = [hidden_size * (2 if bidirectional else 1), *head_layers]
        layers = []
        for n_in, n_out in itertools.pairwise(widths):
            layers += [nn.Linear(n_in, n_out), nn.ReLU()]
        self.quantiles = None if quantiles is None else tuple(quantiles)
        n_levels = 1 if quantiles is None else len(quantiles)
        self.head = nn.Sequential(*layers, nn.Linear(widths[-1], n_outputs * n_levels))
        if quantiles is not None:
            # Not part of the state: it follows from the levels.
            self.register_buffer(
                "_steps", _quantile_steps(self.quantiles), persistent=False
            )
        self.register_buffer("x_mean", torch.zeros(len(numeric)))
        self.register_buffer("x_scale", torch.ones(len(numeric)))

    def set_input_scaling(self, mean, scale):
        """Standardise the numeric inputs with these per-feature statistics
        (numpy arrays over the numeric features)."""
        self.x_mean.copy_(torch.from_numpy(mean))
        self.x_scale.copy_(torch.from_numpy(scale))

    def set_vocabularies(self, categories):
        """Give each categorical feature its codes seen in training (one array
        of distinct non-negative integers per feature)."""
        for embedding, codes in zip(self.embeddings, categories, strict=True):
            embedding.set_codes(codes)

    def encode(self, X):
        """The input as the recurrent layers read it: the numeric features
        scaled per sequence (with ``sequence_scaling``), then standardised per
        feature; then the embeddings of the categorical features."""
        if X.dtype != self.x_mean.dtype:
            X = X.to(self.x_mean.dtype)
        if not self.categorical:
            return self._scale(X)
        numeric = self._scale(X.index_select(-1, self._numeric))
        codes = X.index_select(-1, self._codes)
        embedded = [
            embedding(codes[..., j]) for j, embedding in enumerate(self.embeddings)
        ]
        return torch.cat([numeric, *embedded], dim=-1)

    def _scale(self, x):
        if self.sequence_scaling is not None:
            location, scale = sequence_statistics(x, self.sequence_scaling)
            x = (x - location) / scale
        return standardise(x, self.x_mean, self.x_scale)

    def forward(self, X, starts=None, lengths=None):
        """Map a batch ``(batch, n_timesteps, n_features)`` to its outputs.

        The output has shape ``(batch, n_outputs)``, or ``(batch, n_timesteps,
        n_outputs)`` with ``return_sequences``, where the outputs at padding steps
        are meaningless. ``starts`` and ``lengths`` locate the observed steps of
        padded sequences; without them every time step is observed (the fast,
        exportable path).
        """
        h = self.represent(X, starts, lengths)
        if self.dropout.p > 0:  # nn.Dropout(0) is the identity, at a module call
            h = self.dropout(h)
        return self._head(h)

    def step(self, X, state=None):
        """Read new time steps ``X (batch, n_new_steps, n_features)`` on from
        the recurrent ``state`` (the last layer's ``h_n``, or ``(h_n, c_n)``
        for an LSTM, of the steps read before; None at the start).

        Returns the outputs after the last new step, or after each new step
        with ``return_sequences``, and the new state: with a unidirectional
        network and no per-sequence scaling, reading a sequence in parts gives
        what :meth:`forward` gives on the whole.
        """
        out, state = self.rnn(self.encode(X), state)
        return self._head(out if self.return_sequences else out[:, -1]), state

    def represent(self, X, starts=None, lengths=None):
        """The recurrent output the head reads: ``(batch, n_directions *
        hidden_size)``, the final state of each direction, or per time step
        ``(batch, n_timesteps, ...)`` with ``return_sequences``."""
        if lengths is None:
            return self._read_dense(self.encode(X))
        # Steps that are padding in every sequence of the batch are never read:
        # a window far longer than its data costs what the data costs.
        n_timesteps = X.shape[1]
        first, end = int(starts.min()), int((starts + lengths).max())
        if first > 0 or end < n_timesteps:
            X, starts = X[:, first:end], starts - first
        out = self.read_padded(self.encode(X), starts, lengths)
        if self.return_sequences and out.shape[1] < n_timesteps:
            # Back to the input's steps; the trimmed ones are padding outputs.
            out = F.pad(out, (0, 0, first, n_timesteps - end))
        return out

    def to_quantiles(self, out):
        """Map head outputs ``(..., n_outputs * n_levels)`` to quantiles
        ``(..., n_outputs, n_levels)`` that cannot cross (identity without
        ``quantiles``).

        Per output, the head gives the anchor level's value and, for every other
        level, the softplus of its distance from the next level towards the
        anchor: each level is the anchor plus or minus a sum of non-negative
        steps, so the levels are ordered by construction.
        """
        if self.quantiles is None:
            return out
        out = out.unflatten(-1, (-1, len(self.quantiles)))
        anchor = _anchor(self.quantiles)
        return out[..., anchor : anchor + 1] + F.softplus(out) @ self._steps

    def _head(self, h):
        return self.to_quantiles(self._linear_head(h))

    def _linear_head(self, h):
        if self.training or h.device.type != "cpu":
            return self.head(h)
        # A float32 GEMM takes another kernel for a batch of one, so a prediction
        # would depend on its batch in the last bits; float64 accumulation, rounded
        # back, makes predictions batch-invariant.
        h = h.double()
        for layer in self.head:
            if isinstance(layer, nn.Linear):
                h = F.linear(h, layer.weight.double(), layer.bias.double())
            else:
                h = layer(h)
        return h.float()

    def _recur(self, x):
        # torch trains GRU and RNN cells on a CPU up to several times slower than
        # LSTM cells; skrnn's own backward pass does the same math faster, except
        # for wide GRUs, where both spend their time in the same matrix products.
        faster = self.cpu_backward == "auto" and (
            isinstance(self.rnn, nn.RNN)
            or (isinstance(self.rnn, nn.GRU) and self.rnn.hidden_size <= 64)
        )
        if faster and torch.is_grad_enabled() and x.device.type == "cpu":
            return train_recurrence(self.rnn, x)
        return self.rnn(x)

    def _read_dense(self, x):
        out, state = self._recur(x)
        if self.return_sequences:
            return out
        if not self.rnn.bidirectional:
            return out[:, -1]
        return _last_layer_state(state)

    def read_padded(self, x, starts, lengths, shifted=None):
        """Read standardised ``x`` whose sequence i is observed at steps
        ``starts[i]`` to ``starts[i] + lengths[i] - 1``; see :meth:`forward`."""
        # Shift every sequence to start at step 0; padding then trails, where a
        # forward pass never reads it and packing hides it from the backward one.
        # ``shifted`` says whether any sequence starts late (None: find out).
        n_timesteps = x.shape[1]
        if shifted is None:
            shifted = bool(starts.any())
        if shifted:
            steps = torch.arange(n_timesteps, device=x.device)
            index = (steps + starts[:, None]).clamp_(max=n_timesteps - 1)
            x = x.gather(1, index[:, :, None].expand(-1, -1, x.shape[2]))
        # Zeros, not NaN, in the unread steps: 0 * NaN would poison the gradients.
        x = torch.nan_to_num(x, nan=0.0)
        if self.rnn.bidirectional:
            packed = pack_padded_sequence(
                x, lengths.cpu(), batch_first=True, enforce_sorted=False
            )
            out, state = self.rnn(packed)
            if not self.return_sequences:
                return _last_layer_state(state)
            out, _ = pad_packed_sequence(
                out, batch_first=True, total_length=n_timesteps
            )
        else:
            out, _ = self._recur(x)
            if not self.return_sequences:
                return out[torch.arange(out.shape[0], device=out.device), lengths - 1]
        if shifted:  # back to the input's time steps
            index = (steps - starts[:, None]).clamp_(min=0)
            out = out.gather(1, index[:, :, None].expand(-1, -1, out.shape[2]))
        return out


class CodeEmbedding(nn.Module):
    """Integer codes of one input feature, as learned vectors.

    The ``n_categories`` codes seen in training get rows 1 to ``n_categories``
    of the embedding; any other value (a code unseen in training, a negative
    code, a non-integer, NaN padding) gets row 0, the "unknown" embedding,
    which is fixed at zero. Codes reach their rows through a table indexed by
    the code itself (``code_range`` entries, one more than the largest code
    seen), a gather that exports to ONNX.
    """

    def __init__(self, n_categories, code_range, embedding_size):
        super().__init__()
        self.embedding = nn.Embedding(n_categories + 1, embedding_size, padding_idx=0)
        self.register_buffer("rows", torch.zeros(code_range, dtype=torch.int64))

    def set_codes(self, codes):
        """Map ``codes`` (numpy, distinct) to rows 1, 2, ... in their order."""
        self.rows.zero_()
        self.rows[torch.from_numpy(codes.astype("int64"))] = torch.arange(
            1, len(codes) + 1
        )

    def forward(self, codes):
        n_codes = self.rows.shape[0]
        known = (codes >= 0) & (codes < n_codes) & (codes == codes.floor())
        position = torch.where(known, codes, torch.zeros_like(codes)).long()
        rows = self.rows.index_select(0, position.flatten()).view(position.shape)
        return self.embedding(rows * known)


def _anchor(quantiles):
    """The position of the level nearest 0.5, from which the others step out."""
    return min(range(len(quantiles)), key=lambda i: abs(quantiles[i] - 0.5))


def _quantile_steps(quantiles):
    """The matrix ``S`` with level ``k = anchor + (softplus steps) @ S[:, k]``.

    ``S[i, k]`` is +1 for the steps ``i`` between the anchor (excluded) and an
    upper level ``k`` (included), -1 for those between a lower level ``k``
    (included) and the anchor (excluded), else 0.
    """
    anchor = _anchor(quantiles)
    n_levels = len(quantiles)
    steps = torch.zeros(n_levels, n_levels)
    for k in range(n_levels):
        if k > anchor:
            steps[anchor + 1 : k + 1, k] = 1.0
        elif k < anchor:
            steps[k:anchor, k] = -1.0
    return steps


def _last_layer_state(state):
    """Concatenate both directions' final hidden states of the last layer."""
    h_n = state[0] if isinstance(state, tuple) else state
    return torch.cat([h_n[-2], h_n[-1]], dim=1)


class RegressionLoss(nn.Module):
    """Mean squared error, or with ``quantiles`` the pinball loss, averaged over
    outputs (and quantile levels), samples and observed time steps.

    ``observed`` (1 at observed time steps, 0 at padding) and ``weight`` (a
    weight per sample, or per sample and time step) have the shape of the loss
    before reduction: ``(batch,)`` or ``(batch, n_timesteps)``.
    """

    def __init__(self, quantiles=None):
        super().__init__()
        self.quantiles = quantiles
        if quantiles is not None:
            self.register_buffer("levels", torch.tensor(quantiles))

    def forward(self, y_pred, y, observed=None, weight=None):
        if self.quantiles is not None:
            losses = pinball_loss(y_pred, y, self.levels).mean(dim=(-2, -1))
        elif observed is None and weight is None:
            return F.mse_loss(y_pred, y)
        else:
            losses = ((y_pred - y) ** 2).mean(dim=-1)
        return _reduce(losses, observed, weight)


def pinball_loss(y_pred, y, levels):
    """The pinball (quantile) loss of quantiles ``y_pred (..., n_levels)`` at
    ``levels`` for targets ``y (...)``, unreduced: ``levels * (y - q)`` where
    ``y >= q``, ``(levels - 1) * (y - q)`` where ``y < q``."""
    error = y.unsqueeze(-1) - y_pred
    return torch.maximum(levels * error, (levels - 1) * error)


class ClassificationLoss(nn.Module):
    """Cross-entropy of logits, averaged like :class:`RegressionLoss`."""

    def forward(self, y_pred, y, observed=None, weight=None):
        if y_pred.dim() == 3:  # (batch, n_timesteps, n_classes): classes second
            y_pred = y_pred.transpose(1, 2)
        if observed is None and weight is None:
            return F.cross_entropy(y_pred, y)
        return _reduce(F.cross_entropy(y_pred, y, reduction="none"), observed, weight)


def _reduce(losses, observed, weight):
    if weight is not None:
        losses = losses * weight
    if observed is None:
        return losses.mean()
    return (losses * observed).sum() / observed.sum().clamp(min=1)
