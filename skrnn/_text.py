"""TextSequencer: raw texts to sequences of token ids, with scikit-learn's analyzers."""

import re
from numbers import Integral, Real
from typing import ClassVar

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.utils.validation import check_is_fitted

from ._params import (
    BOOLEAN,
    NONE,
    Constraint,
    either,
    integer,
    options,
    validate_params,
)

# The id of a word outside the vocabulary.
UNKNOWN = 0


def _count_or_fraction(v):
    """CountVectorizer's min_df/max_df: a count (int) or a fraction (float)."""
    if isinstance(v, bool):
        return False
    if isinstance(v, Integral):
        return v >= 0
    return isinstance(v, Real) and 0.0 <= v <= 1.0


class TextSequencer(TransformerMixin, BaseEstimator):
    """Turn texts into sequences of token ids, for an RNN with ``categorical``.

    Each text is split into words by scikit-learn's analyzer (that of
    :class:`~sklearn.feature_extraction.text.CountVectorizer`, with its
    lowercasing, accent stripping, token pattern and stop words), and each
    word is replaced by its id in a vocabulary learned in ``fit``, keeping the
    order of the words: where a bag of words counts them, a recurrent network
    reads them in turn. Feed the output to
    ``RNNClassifier(categorical="all")`` (or ``RNNRegressor``), which learns an
    embedding of each id, in a Pipeline that takes a list of strings and is
    tuned with ``GridSearchCV`` (``tokens__max_features``,
    ``rnn__embedding_size``).

    Parameters
    ----------
    lowercase : bool, default=True
        Convert the texts to lowercase first.
    strip_accents : {"ascii", "unicode"} or None, default=None
        Remove accents, as in CountVectorizer.
    token_pattern : str, default=r"(?u)\\b\\w\\w+\\b"
        Regular expression of a word, as in CountVectorizer (the default keeps
        words of two or more letters or digits).
    stop_words : "english", list of str or None, default=None
        Words to drop. Note that scikit-learn's "english" list holds negations
        ("not", "no", "never"), which decide the meaning of a sentence for a
        model that reads word order.
    max_features : int or None, default=None
        Keep only the most frequent words (over the training texts); the
        others read as unknown.
    min_df : float or int, default=1
        Keep only words found in at least this many training texts (an int) or
        this fraction of them (a float).
    max_df : float or int, default=1.0
        Drop words found in more than this many (or this fraction of) texts.
    max_length : int or None, default=None
        Keep at most the first ``max_length`` words of each text, which bounds
        the time a long text takes; None keeps them all.

    Attributes
    ----------
    vocabulary_ : dict of str to int
        Each kept word and its id, from 1 (in alphabetical order). Id 0 is any
        other word.

    See Also
    --------
    sklearn.feature_extraction.text.CountVectorizer : The same words, counted.

    Notes
    -----
    The output is a list with one int64 array per text, of shape
    ``(n_words, 1)``: a sequence of one feature, the word's id (a text without
    any word gives ``[[0]]``, one unknown word). Sequences of one feature make
    the estimator read the output as sequences of any length even when all the
    texts of a batch have the same number of words, where a list of equal 1D
    arrays would be one 2D array of fixed width. Sequences of different
    lengths are padded inside the estimator, and padding never changes a
    prediction. ONNX export of the network takes these ids (as float32 of
    shape ``(batch, n_words, 1)``, NaN-padded at the end); the text-to-ids
    step stays in Python.

    Examples
    --------
    >>> from skrnn import TextSequencer
    >>> texts = ["not good, bad", "good film", "a bad, bad film"]
    >>> sequencer = TextSequencer().fit(texts)
    >>> sequencer.vocabulary_
    {'bad': 1, 'film': 2, 'good': 3, 'not': 4}
    >>> [ids.ravel() for ids in sequencer.transform(["good, not bad", "great film"])]
    [array([3, 4, 1]), array([0, 2])]
    """

    _parameter_constraints: ClassVar[dict] = {
        "lowercase": BOOLEAN,
        "strip_accents": either(NONE, options("ascii", "unicode")),
        "token_pattern": Constraint("a str", lambda v: isinstance(v, str)),
        "stop_words": Constraint(
            "None, 'english' or a list of str",
            lambda v: (
                v is None
                or v == "english"
                or (isinstance(v, (list, tuple, set, frozenset)))
            ),
        ),
        "max_features": either(NONE, integer(1)),
        "min_df": Constraint("an int >= 0 or a float in [0, 1]", _count_or_fraction),
        "max_df": Constraint("an int >= 0 or a float in [0, 1]", _count_or_fraction),
        "max_length": either(NONE, integer(1)),
    }
    _parameter_rules: ClassVar[tuple] = ()

    def __init__(
        self,
        *,
        lowercase=True,
        strip_accents=None,
        token_pattern=r"(?u)\b\w\w+\b",
        stop_words=None,
        max_features=None,
        min_df=1,
        max_df=1.0,
        max_length=None,
    ):
        self.lowercase = lowercase
        self.strip_accents = strip_accents
        self.token_pattern = token_pattern
        self.stop_words = stop_words
        self.max_features = max_features
        self.min_df = min_df
        self.max_df = max_df
        self.max_length = max_length

    def fit(self, X, y=None):
        """Learn the vocabulary of the texts ``X``.

        Parameters
        ----------
        X : iterable of str
            The training texts.
        y : ignored
            Present for the Pipeline API.

        Returns
        -------
        self : TextSequencer
            The fitted transformer.
        """
        validate_params(self)
        try:
            re.compile(self.token_pattern)
        except re.error as error:
            raise ValueError(
                f"token_pattern {self.token_pattern!r} is not a regular expression: "
                f"{error}."
            ) from None
        texts = _check_texts(X)
        vectorizer = self._vectorizer(max_features=self.max_features)
        try:
            vectorizer.fit(texts)
        except ValueError as error:  # e.g. no word left: name it as ours
            raise ValueError(f"TextSequencer found no vocabulary: {error}") from None
        # Ids from 1, in CountVectorizer's (alphabetical) order; 0 is unknown.
        self.vocabulary_ = {
            word: int(index) + 1
            for word, index in sorted(
                vectorizer.vocabulary_.items(), key=lambda item: item[1]
            )
        }
        return self

    def transform(self, X):
        """The token ids of each text, in reading order.

        Parameters
        ----------
        X : iterable of str
            Texts.

        Returns
        -------
        sequences : list of ndarray of int64
            One ``(n_words, 1)`` array per text: the id of each of its words (0
            for a word outside the vocabulary), at most ``max_length`` of them.
        """
        check_is_fitted(self)
        texts = _check_texts(X)
        analyze = self._vectorizer().build_analyzer()
        vocabulary = self.vocabulary_
        sequences = []
        for text in texts:
            words = analyze(text)[: self.max_length]
            ids = [vocabulary.get(word, UNKNOWN) for word in words] or [UNKNOWN]
            sequences.append(np.asarray(ids, dtype=np.int64)[:, np.newaxis])
        return sequences

    def _vectorizer(self, **params):
        return CountVectorizer(
            lowercase=self.lowercase,
            strip_accents=self.strip_accents,
            token_pattern=self.token_pattern,
            stop_words=self.stop_words,
            min_df=self.min_df,
            max_df=self.max_df,
            **params,
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        tags.requires_fit = True
        return tags


def _check_texts(X):
    """``X`` as a list of str, or a TypeError that says what is expected."""
    if isinstance(X, (str, bytes)):
        raise TypeError(
            "TextSequencer takes an iterable of texts, got one str; wrap it in a "
            "list: [text]."
        )
    if hasattr(X, "ndim") and X.ndim != 1:
        raise TypeError(
            f"TextSequencer takes a 1D iterable of texts, got {X.ndim} dimensions; "
            "select the text column (df['review'], not df[['review']])."
        )
    texts = list(X)
    wrong = [i for i, text in enumerate(texts) if not isinstance(text, str)]
    if wrong:
        raise TypeError(
            f"TextSequencer takes texts (str), but item {wrong[0]} is a "
            f"{type(texts[wrong[0]]).__name__}: {texts[wrong[0]]!r}. Fill missing "
            "texts first, e.g. df['review'].fillna('')."
        )
    return texts
