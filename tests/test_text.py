"""TextSequencer: texts to token ids in reading order, for an embedded RNN."""

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline

from skrnn import RNNClassifier, TextSequencer, load, save

TEXTS = ["Not good, bad.", "good film", "A bad, bad film", "good good good"]


def _ids(sequences):
    return [s.ravel().tolist() for s in sequences]


def test_ids_follow_the_words_in_reading_order():
    sequencer = TextSequencer().fit(TEXTS)
    assert sequencer.vocabulary_ == {"bad": 1, "film": 2, "good": 3, "not": 4}
    sequences = sequencer.transform(["bad, NOT good", "good bad"])
    assert _ids(sequences) == [[1, 4, 3], [3, 1]]
    assert all(s.dtype == np.int64 and s.shape[1] == 1 for s in sequences)


def test_words_outside_the_vocabulary_are_zero():
    sequencer = TextSequencer().fit(TEXTS)
    assert _ids(sequencer.transform(["a great film"])) == [[0, 2]]


def test_a_text_without_words_is_one_unknown_word():
    sequencer = TextSequencer().fit(TEXTS)
    assert _ids(sequencer.transform(["", "!?"])) == [[0], [0]]


@pytest.mark.parametrize(
    ("params", "vocabulary"),
    [
        ({"max_features": 2}, ["bad", "good"]),
        ({"min_df": 2}, ["bad", "film", "good"]),
        ({"stop_words": ["not"]}, ["bad", "film", "good"]),
    ],
)
def test_vocabulary_follows_count_vectorizer_limits(params, vocabulary):
    sequencer = TextSequencer(**params).fit(TEXTS)
    assert sorted(sequencer.vocabulary_) == vocabulary


def test_max_length_keeps_the_first_words():
    sequencer = TextSequencer(max_length=2).fit(TEXTS)
    assert _ids(sequencer.transform(["bad film good not"])) == [[1, 2]]


@pytest.mark.parametrize(
    ("texts", "match"),
    [
        ("good film", "got one str; wrap it in a list"),
        (["good", None], "item 1 is a NoneType"),
        (pd.DataFrame({"review": TEXTS}), "select the text column"),
    ],
)
def test_input_must_be_texts(texts, match):
    with pytest.raises(TypeError, match=match):
        TextSequencer().fit(texts)


def test_no_words_at_all_is_a_value_error():
    with pytest.raises(ValueError, match="TextSequencer found no vocabulary"):
        TextSequencer().fit(["", "!"])


@pytest.fixture
def pipeline():
    return Pipeline(
        [
            ("tokens", TextSequencer()),
            ("rnn", RNNClassifier(categorical="all", hidden_size=8, random_state=0)),
        ]
    )


def test_pipeline_takes_texts_and_is_tuned_by_grid_search(pipeline):
    texts = [f"{a} {b}" for a in ("good", "bad", "fine", "poor") for b in TEXTS] * 2
    y = [int(t.split()[0] in ("good", "fine")) for t in texts]
    search = GridSearchCV(
        pipeline.set_params(rnn__max_epochs=2),
        {"tokens__max_features": [2, None], "rnn__embedding_size": [2, 4]},
        cv=2,
        error_score="raise",
    ).fit(texts, y)
    assert len(search.cv_results_["params"]) == 4
    assert search.predict(["good film"]).shape == (1,)


def test_saved_pipeline_predicts_the_same_texts(pipeline, tmp_path):
    pipeline.set_params(rnn__max_epochs=2).fit(TEXTS * 3, [0, 1, 0, 1] * 3)
    save(pipeline, tmp_path / "text.skrnn")
    loaded = load(tmp_path / "text.skrnn")
    assert loaded[0].vocabulary_ == pipeline[0].vocabulary_
    texts = ["good, not bad at all", "unseen words only"]
    np.testing.assert_array_equal(
        loaded.predict_proba(texts), pipeline.predict_proba(texts)
    )
