"""skrnn: recurrent neural networks as scikit-learn estimators."""

from ._esn import ESNClassifier, ESNRegressor
from ._estimators import RNNClassifier, RNNRegressor
from ._forecasting import direct_forecast, recursive_forecast
from ._persistence import load, save
from ._plotting import plot_history
from ._serving import make_server
from ._streaming import StreamState, predict_stream, start_stream
from ._text import TextSequencer
from ._validation import from_sktime
from ._windowing import SequenceWindower, future_targets, make_windows

__all__ = [
    "ESNClassifier",
    "ESNRegressor",
    "RNNClassifier",
    "RNNRegressor",
    "SequenceWindower",
    "StreamState",
    "TextSequencer",
    "direct_forecast",
    "from_sktime",
    "future_targets",
    "load",
    "make_server",
    "make_windows",
    "plot_history",
    "predict_stream",
    "recursive_forecast",
    "save",
    "start_stream",
]
__version__ = "0.1.0.dev0"
