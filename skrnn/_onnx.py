"""ONNX export of a fitted network, its scaling included."""

import copy
import warnings

import torch
from torch import nn

from ._scaling import sequence_statistics, unstandardise

# The ONNX LSTM/GRU/RNN operators take the sequence length as data, so one graph
# serves any batch size and any length. torch's torch.export-based exporter
# unrolls the recurrence over the example's time steps instead, which fixes the
# length; its TorchScript-based one (dynamo=False) emits these operators.
_DYNAMIC_AXES = {"X": {0: "batch", 1: "timesteps"}}


class _Exported(nn.Module):
    """The estimator's prediction as one module: scale, read, head, unscale.

    Padding is found as ``skrnn._validation.validate_sequences`` finds it:
    time steps whose features are all NaN, at either end of a sequence. Where
    ``predict`` would refuse a sequence (a NaN inside it or in part of a step, or
    no observed step at all), the graph outputs NaN (and label -1) for it. The
    head runs in float32: the estimator's CPU head accumulates in float64, but
    onnxruntime 1.32 crashed on a float64 MatMul of 3D input.
    """

    def __init__(
        self,
        module,
        y_mean=None,
        y_scale=None,
        squeeze=False,
        target_features=None,
        shifts=None,
    ):
        super().__init__()
        self.per_step = module.return_sequences
        # A bidirectional many-to-one read takes the final states off the
        # recurrent outputs rather than h_n: torch's exporter fails on the h_n of
        # a packed single-layer run. The module (a copy) then returns the outputs.
        self.final_states = module.rnn.bidirectional and not self.per_step
        module.return_sequences = self.per_step or self.final_states
        self.module = module
        self.classifier = y_mean is None
        self.squeeze = squeeze
        # With per-sequence scaling, output j is in the units of input feature
        # target_features[j], and is mapped back with that feature's statistics.
        self.target_features = (
            None if module.sequence_scaling is None else list(target_features)
        )
        if not self.classifier:
            self.register_buffer("y_mean", torch.as_tensor(y_mean, dtype=torch.float64))
            self.register_buffer(
                "y_scale", torch.as_tensor(y_scale, dtype=torch.float64)
            )
        # A quantile network's levels, calibrated by shifts (n_outputs, n_levels).
        self.quantiles = module.quantiles is not None
        if shifts is not None:
            shifts = torch.as_tensor(shifts.T[:, None], dtype=torch.float64)
        self.register_buffer("shifts", shifts)

    def forward(self, X):
        module = self.module
        missing = torch.isnan(X)
        observed = ~missing.all(dim=-1)  # (batch, timesteps)
        lengths = observed.sum(dim=1)
        starts = observed.to(torch.int64).argmax(dim=1)
        steps = torch.arange(X.shape[1], device=X.device)
        last = (steps * observed).amax(dim=1)
        valid = (
            (lengths > 0)
            & (last - starts + 1 == lengths)  # no gap inside
            & ~(missing.any(dim=-1) & observed).any(dim=1)  # no partly NaN step
        )
        x = module.encode(X)
        h = module.read_padded(x, starts, lengths.clamp(min=1), shifted=True)
        if self.final_states:
            # Forward at the last observed step, backward at the first.
            size = module.rnn.hidden_size
            rows = torch.arange(X.shape[0], device=X.device)
            h = torch.cat([h[rows, last, :size], h[rows, starts, size:]], dim=1)
        out = module.to_quantiles(module.head(h))
        # Outputs kept: per valid sample, or per observed step of a valid sample.
        kept = valid[:, None] & observed if self.per_step else valid
        return self._finish(out, X, kept)

    def _finish(self, out, X, kept):
        """The graph's outputs from the head's ``out``: NaN (label -1) where
        ``kept`` is False."""
        module = self.module
        if self.classifier:
            label = out.argmax(dim=-1).masked_fill(~kept, -1)
            proba = torch.softmax(out, dim=-1)
            return label, proba.masked_fill(~kept[..., None], float("nan"))
        if self.quantiles:  # levels first, as in RNNRegressor._decode
            out = out.permute(out.dim() - 1, *range(out.dim() - 1))
        y = unstandardise(out.double(), self.y_mean, self.y_scale)
        if self.shifts is not None:
            y = torch.sort(y + self.shifts, dim=0).values
        if self.target_features is not None:
            location, scale = sequence_statistics(X, module.sequence_scaling)
            features = self.target_features
            location, scale = location[..., features], scale[..., features]
            if not self.per_step:  # (batch, 1, n_outputs) to (batch, n_outputs)
                location, scale = location[:, 0], scale[:, 0]
            y = y * scale.double() + location.double()
        y = y.masked_fill(~kept[..., None], float("nan"))
        y = y[..., 0] if self.squeeze else y
        # (permute, not movedim, whose negative axes onnxruntime rejects)
        return y.permute(*range(1, y.dim()), 0) if self.quantiles else y


class _ExportedStep(_Exported):
    """One call of a stream (``RecurrentNet.step``) as a graph: new steps and
    the recurrent state in, the outputs after them and the new state out."""

    def forward(self, X, *state):
        module = self.module
        state = state if len(state) > 1 else state[0]
        out, state = module.rnn(module.encode(X), state)
        h = out if self.per_step else out[:, -1]
        out = module.to_quantiles(module.head(h))
        kept = torch.ones(h.shape[:-1], dtype=torch.bool, device=X.device)
        outputs = self._finish(out, X, kept)
        outputs = outputs if isinstance(outputs, tuple) else (outputs,)
        return *outputs, *(state if isinstance(state, tuple) else (state,))


def export_onnx(module, path, *, target_scaling=None, opset_version=None, stream=False):
    """Export a fitted :class:`~skrnn._module.RecurrentNet` to an ONNX file.

    ``target_scaling`` is a regressor's ``(mean, scale, squeeze,
    target_features, shifts)``: the statistics that map outputs back to the
    targets' units, whether to drop the output axis (for 1D targets), with
    per-sequence scaling the input feature each output is measured in, and a
    calibrated quantile network's shifts; None exports a classifier. See
    ``BaseRNN.to_onnx`` for the graph.
    """
    try:
        import onnx  # noqa: F401  (torch's exporter needs it)
    except ImportError:
        raise ImportError(
            "to_onnx needs the onnx package: pip install 'skrnn[export]'."
        ) from None
    module = copy.deepcopy(module).cpu().eval()
    graph = _ExportedStep if stream else _Exported
    if target_scaling is None:
        exported = graph(module)
        outputs = ["label", "probabilities"]
    else:
        exported = graph(module, *target_scaling)
        outputs = ["predictions"]
    example = (torch.zeros(2, 3, module.n_features),)
    inputs, axes = ["X"], dict(_DYNAMIC_AXES)
    if stream:
        # The recurrent state: (num_layers, batch, hidden_size), and an LSTM's
        # cell state; the same names with "_out" are the state after the steps.
        states = ["h", "c"] if isinstance(module.rnn, torch.nn.LSTM) else ["h"]
        rnn = module.rnn
        example += tuple(
            torch.zeros(rnn.num_layers, 2, rnn.hidden_size) for _ in states
        )
        inputs += states
        outputs += [f"{name}_out" for name in states]
        axes.update({name: {1: "batch"} for name in states + outputs[-len(states) :]})
        results = outputs[: -len(states)]
    else:
        results = outputs
    with warnings.catch_warnings():
        # The TorchScript exporter is deprecated in favour of one that cannot
        # keep the sequence length dynamic (see _DYNAMIC_AXES).
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", FutureWarning)
        # torch's own shape checks in nn.RNN, which the graph does not need.
        warnings.simplefilter("ignore", torch.jit.TracerWarning)
        # Said of every recurrent layer; the initial states here take their batch
        # size from X, and the tests run other batch sizes than the example's.
        warnings.filterwarnings("ignore", "Exporting a model to ONNX with a batch_size")
        # About negative indices, and all indices here are >= 0.
        warnings.filterwarnings("ignore", "Exporting aten::index operator")
        torch.onnx.export(
            exported,
            example,
            str(path),
            input_names=inputs,
            output_names=outputs,
            dynamic_axes={
                **axes,
                **dict.fromkeys(results, _output_axes(exported.per_step)),
            },
            opset_version=opset_version,
            dynamo=False,
        )


def _output_axes(return_sequences):
    return {0: "batch", 1: "timesteps"} if return_sequences else {0: "batch"}
