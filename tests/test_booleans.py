"""The one boolean parser: parameters refuse other words, CSV cells and queries default."""

import pytest

from modoboa_flask.booleans import parse_bool
from modoboa_flask.imports.rows import to_bool


@pytest.mark.parametrize("word", ["yes", "TRUE", " 1 ", "y", "On"])
def test_true_words(word):
    assert parse_bool(word) is True and to_bool(word) is True


@pytest.mark.parametrize("word", ["no", "False", "0", "n", "off", ""])
def test_false_words(word):
    assert parse_bool(word) is False and to_bool(word) is False


def test_other_words_raise_unless_a_default_is_given():
    with pytest.raises(ValueError):
        parse_bool("maybe")
    assert parse_bool("maybe", default=False) is False and to_bool("maybe") is False
    assert parse_bool(None, default=False) is False and parse_bool(True) is True
