"""skrnn's own backward pass for GRU and plain RNN layers, to train them on a CPU.

On a CPU, torch trains ``nn.LSTM`` through oneDNN's fused kernel, but ``nn.GRU``
and ``nn.RNN`` through a generic loop whose autograd graph records every gate
operation of every time step; a GRU then trains several times slower than an
LSTM of the same size. Here the forward pass is torch's own kernel, run without
recording a graph, and the backward pass is written out: it recomputes the gates
of all time steps in a few large operations and leaves two or three small ones
per time step to the loop over time. Parameters, outputs and gradients are those
of the module (the tests hold the gradients to ``nn.GRU``'s within 1e-5); only
the order of floating-point operations differs.

Only training on a CPU takes this path (see ``RecurrentNet._recur``), and only
with the estimators' ``cpu_backward="auto"`` (the default): ``"torch"`` falls back
to autograd's graph. On a GPU cuDNN fuses all three cells, and without gradients
torch's forward is as fast.
"""

import torch
from torch.autograd.function import once_differentiable
from torch.nn import functional as F


def train_recurrence(rnn, x):
    """What ``rnn(x)`` returns, for a batch-first ``nn.GRU`` or ``nn.RNN``.

    Layer by layer and direction by direction, each through :class:`_GRULayer`
    or :class:`_RNNLayer` on time-major input; between layers the module's
    dropout, in training mode, as ``nn.GRU`` applies it.
    """
    layer = _GRULayer if rnn.mode == "GRU" else _RNNLayer
    relu = rnn.mode == "RNN_RELU"
    seq = x.transpose(0, 1)  # (n_timesteps, batch, features): contiguous steps
    h0 = seq.new_zeros(seq.shape[1], rnn.hidden_size)
    finals = []
    for index in range(rnn.num_layers):
        outputs = []
        for reverse in (False, True)[: 2 if rnn.bidirectional else 1]:
            suffix = f"_l{index}" + ("_reverse" if reverse else "")
            weights = [
                getattr(rnn, name + suffix)
                for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
            ]
            inputs = seq.flip(0) if reverse else seq
            out, h_n = layer.apply(inputs, *weights, h0, relu)
            outputs.append(out.flip(0) if reverse else out)
            finals.append(h_n)
        seq = torch.cat(outputs, dim=2) if len(outputs) > 1 else outputs[0]
        if rnn.dropout > 0 and index < rnn.num_layers - 1:
            seq = F.dropout(seq, rnn.dropout, training=rnn.training)
    return seq.transpose(0, 1), torch.stack(finals)


def _previous_states(h0, out):
    """``h_{t-1}`` for every step t, flattened to ``(n_timesteps * batch, hidden)``."""
    return torch.cat([h0[None], out[:-1]]).flatten(0, 1)


class _GRULayer(torch.autograd.Function):
    """One direction of one GRU layer: ``(T, B, F)`` -> ``(T, B, H)`` and ``h_T``.

    With ``gi = W_ih x + b_ih`` and ``gh = W_hh h + b_hh``, each split into the
    reset, update and new parts ``(r, z, n)`` as in ``nn.GRU``::

        r = sigmoid(gi_r + gh_r)      z = sigmoid(gi_z + gh_z)
        n = tanh(gi_n + r * gh_n)     h' = (1 - z) * n + z * h
    """

    @staticmethod
    def forward(ctx, x, w_ih, w_hh, b_ih, b_hh, h0, relu):
        ctx.set_materialize_grads(False)
        out, h_n = torch.gru(
            x, h0[None], [w_ih, w_hh, b_ih, b_hh], True, 1, 0.0, False, False, False
        )
        ctx.save_for_backward(x, w_ih, w_hh, b_ih, b_hh, h0, out)
        return out, h_n[0]

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_out, grad_h_n):
        x, w_ih, w_hh, b_ih, b_hh, h0, out = ctx.saved_tensors
        n_steps, batch, n_features = x.shape
        hidden = w_hh.shape[1]
        h_prev = _previous_states(h0, out)
        # The gates of every step at once, in place where a temporary can be reused.
        gi = torch.addmm(b_ih, x.reshape(-1, n_features), w_ih.t())
        gh = torch.addmm(b_hh, h_prev, w_hh.t())
        rz = gi[:, : 2 * hidden].add_(gh[:, : 2 * hidden]).sigmoid_()
        r, z = rz[:, :hidden], rz[:, hidden:]
        gh_n = gh[:, 2 * hidden :]
        n = torch.addcmul(gi[:, 2 * hidden :], r, gh_n).tanh_()
        one_minus_z = 1 - z
        dn_dh = (n * n).neg_().add_(1).mul_(one_minus_z)  # d(new part's input)/dh'
        # d(gh_r, gh_z, gh_n)/dh' side by side: the loop multiplies them by dh'.
        dgh_dh = torch.empty_like(gh)
        torch.mul(dn_dh, r, out=dgh_dh[:, 2 * hidden :])
        torch.mul(dgh_dh[:, 2 * hidden :], gh_n, out=dgh_dh[:, :hidden])
        dgh_dh[:, :hidden].mul_(1 - r)
        torch.sub(h_prev, n, out=dgh_dh[:, hidden : 2 * hidden]).mul_(z)
        dgh_dh[:, hidden : 2 * hidden].mul_(one_minus_z)
        dgh_dh = dgh_dh.view(n_steps, batch, 3, hidden)
        z = z.reshape(n_steps, batch, hidden)

        # Back through time: dh_{t-1} = grad_out_{t-1} + z_t dh_t + dgh_t W_hh.
        dgh = x.new_empty(n_steps, batch, 3, hidden)
        dh = x.new_empty(n_steps, batch, hidden)  # dL/dh_t, all paths
        _start(dh[-1], grad_out, grad_h_n)
        for t in range(n_steps - 1, -1, -1):
            torch.mul(dgh_dh[t], dh[t][:, None], out=dgh[t])
            step = dgh[t].view(batch, 3 * hidden)
            if t > 0:
                _carry(dh[t - 1], grad_out, t - 1, dh[t], z[t]).addmm_(step, w_hh)
            elif ctx.needs_input_grad[5]:
                dh0 = torch.addmm(dh[0] * z[0], step, w_hh)
        dgh = dgh.view(-1, 3 * hidden)
        dgi = torch.cat([dgh[:, : 2 * hidden], dh.flatten(0, 1) * dn_dh], dim=1)
        return (
            (dgi @ w_ih).view(n_steps, batch, n_features)
            if ctx.needs_input_grad[0]
            else None,
            dgi.t() @ x.reshape(-1, n_features),
            dgh.t() @ h_prev,
            dgi.sum(0),
            dgh.sum(0),
            dh0 if ctx.needs_input_grad[5] else None,
            None,
        )


class _RNNLayer(torch.autograd.Function):
    """One direction of one plain RNN layer.

    ``h' = act(W_ih x + b_ih + W_hh h + b_hh)``, with ``act`` tanh or relu.
    """

    @staticmethod
    def forward(ctx, x, w_ih, w_hh, b_ih, b_hh, h0, relu):
        ctx.set_materialize_grads(False)
        kernel = torch.rnn_relu if relu else torch.rnn_tanh
        out, h_n = kernel(
            x, h0[None], [w_ih, w_hh, b_ih, b_hh], True, 1, 0.0, False, False, False
        )
        ctx.relu = relu
        ctx.save_for_backward(x, w_ih, w_hh, h0, out)
        return out, h_n[0]

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_out, grad_h_n):
        x, w_ih, w_hh, h0, out = ctx.saved_tensors
        n_steps, batch, n_features = x.shape
        hidden = w_hh.shape[1]
        # d h' / d(pre-activation), from the outputs alone
        slope = (out > 0).to(out.dtype) if ctx.relu else 1 - out * out
        dpre = x.new_empty(n_steps, batch, hidden)
        dh = x.new_empty(batch, hidden)
        _start(dh, grad_out, grad_h_n)
        for t in range(n_steps - 1, -1, -1):
            torch.mul(dh, slope[t], out=dpre[t])
            if t > 0:
                dh = (
                    torch.addmm(grad_out[t - 1], dpre[t], w_hh)
                    if grad_out is not None
                    else dpre[t] @ w_hh
                )
        dpre = dpre.view(-1, hidden)
        d_bias = dpre.sum(0)
        return (
            (dpre @ w_ih).view(n_steps, batch, n_features)
            if ctx.needs_input_grad[0]
            else None,
            dpre.t() @ x.reshape(-1, n_features),
            dpre.t() @ _previous_states(h0, out),
            d_bias,
            d_bias,
            dpre[:batch] @ w_hh if ctx.needs_input_grad[5] else None,
            None,
        )


def _start(dh, grad_out, grad_h_n):
    """Write dL/dh_T, from the last output and the final state, into ``dh``."""
    if grad_out is None and grad_h_n is None:
        dh.zero_()
    elif grad_out is None:
        dh.copy_(grad_h_n)
    elif grad_h_n is None:
        dh.copy_(grad_out[-1])
    else:
        torch.add(grad_out[-1], grad_h_n, out=dh)


def _carry(into, grad_out, t, dh, z):
    """``grad_out[t] + z * dh`` written into ``into`` (the GRU's direct path)."""
    if grad_out is None:
        return torch.mul(dh, z, out=into)
    return torch.addcmul(grad_out[t], dh, z, out=into)
