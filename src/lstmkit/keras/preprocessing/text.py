"""``keras.preprocessing.text`` (Keras 2): ``Tokenizer``, ``text_to_word_sequence``,
``one_hot``, with Keras 2's rules exactly (filters, lower-casing, splitting; words indexed from
1 by descending count, ties in order of first appearance; ``num_words`` keeps indices below
it; ``oov_token`` takes index 1)."""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict, defaultdict
from collections.abc import Iterable, Iterator
from typing import Any

from lstmkit.keras._support import module_getattr, not_supported

__all__ = ["Tokenizer", "one_hot", "text_to_word_sequence", "tokenizer_from_json"]

FILTERS = '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n'


def text_to_word_sequence(
    input_text: str, filters: str = FILTERS, lower: bool = True, split: str = " "
) -> list[str]:
    """The words of ``input_text``: lower-cased, each character of ``filters`` made a
    separator, split on ``split``, empty words dropped."""
    if lower:
        input_text = input_text.lower()
    input_text = input_text.translate(str.maketrans(dict.fromkeys(filters, split)))
    return [word for word in input_text.split(split) if word]


def one_hot(
    input_text: str, n: int, filters: str = FILTERS, lower: bool = True, split: str = " "
) -> list[int]:
    """Keras 2's ``one_hot``: each word hashed to an index in ``[1, n)`` (MD5 here, where Keras
    used Python's salted ``hash``, so the indices are the same from run to run)."""
    return [
        int(hashlib.md5(word.encode()).hexdigest(), 16) % (n - 1) + 1
        for word in text_to_word_sequence(input_text, filters, lower, split)
    ]


class Tokenizer:
    """Keras 2's ``Tokenizer``: ``fit_on_texts``, ``texts_to_sequences``,
    ``sequences_to_texts``, ``texts_to_matrix``/``sequences_to_matrix``; ``word_index``,
    ``index_word``, ``word_counts``, ``word_docs``, ``document_count``."""

    def __init__(
        self,
        num_words: int | None = None,
        filters: str = FILTERS,
        lower: bool = True,
        split: str = " ",
        char_level: bool = False,
        oov_token: str | None = None,
        analyzer: Any = None,
        **kwargs: Any,
    ) -> None:
        if kwargs:
            raise not_supported(f"keras.preprocessing.text.Tokenizer({next(iter(kwargs))}=...)")
        if analyzer is not None:
            raise not_supported("keras.preprocessing.text.Tokenizer(analyzer=...)")
        self.word_counts: OrderedDict[str, int] = OrderedDict()
        self.word_docs: defaultdict[str, int] = defaultdict(int)
        self.filters = filters
        self.split = split
        self.lower = lower
        self.num_words = num_words
        self.document_count = 0
        self.char_level = char_level
        self.oov_token = oov_token
        self.index_docs: defaultdict[int, int] = defaultdict(int)
        self.word_index: dict[str, int] = {}
        self.index_word: dict[int, str] = {}

    def _words(self, text: Any) -> list[str]:
        if self.char_level or isinstance(text, list):
            if self.lower:
                text = [t.lower() for t in text] if isinstance(text, list) else text.lower()
            return list(text)
        return text_to_word_sequence(text, self.filters, self.lower, self.split)

    def fit_on_texts(self, texts: Iterable[Any]) -> None:
        for text in texts:
            self.document_count += 1
            words = self._words(text)
            for word in words:
                self.word_counts[word] = self.word_counts.get(word, 0) + 1
            for word in set(words):
                self.word_docs[word] += 1
        counts = sorted(self.word_counts.items(), key=lambda item: item[1], reverse=True)
        vocabulary = [] if self.oov_token is None else [self.oov_token]
        vocabulary.extend(word for word, _ in counts)
        self.word_index = {word: index for index, word in enumerate(vocabulary, start=1)}
        self.index_word = {index: word for word, index in self.word_index.items()}
        for word, count in self.word_docs.items():
            self.index_docs[self.word_index[word]] = count

    def fit_on_sequences(self, sequences: Iterable[Iterable[int]]) -> None:
        self.document_count += len(list(sequences))

    def texts_to_sequences_generator(self, texts: Iterable[Any]) -> Iterator[list[int]]:
        oov = self.word_index.get(self.oov_token) if self.oov_token is not None else None
        for text in texts:
            vector = []
            for word in self._words(text):
                index = self.word_index.get(word)
                if index is not None:
                    if self.num_words and index >= self.num_words:
                        if oov is not None:
                            vector.append(oov)
                    else:
                        vector.append(index)
                elif oov is not None:
                    vector.append(oov)
            yield vector

    def texts_to_sequences(self, texts: Iterable[Any]) -> list[list[int]]:
        return list(self.texts_to_sequences_generator(texts))

    def sequences_to_texts(self, sequences: Iterable[Iterable[int]]) -> list[str]:
        oov = self.word_index.get(self.oov_token) if self.oov_token is not None else None
        texts = []
        for sequence in sequences:
            words = []
            for number in sequence:
                word = self.index_word.get(number)
                if word is not None:
                    if self.num_words and number >= self.num_words:
                        if oov is not None:
                            words.append(self.index_word[oov])
                    else:
                        words.append(word)
                elif oov is not None:
                    words.append(self.index_word[oov])
            texts.append(" ".join(words))
        return texts

    def sequences_to_matrix(self, sequences: list[list[int]], mode: str = "binary") -> Any:
        """``(len(sequences), num_words)``: ``binary``, ``count`` or ``freq`` per index."""
        import numpy as np

        width = self.num_words or len(self.word_index) + 1
        if mode not in ("binary", "count", "freq"):
            raise not_supported(f"Tokenizer.sequences_to_matrix(mode={mode!r})")
        matrix = np.zeros((len(sequences), width))
        for row, sequence in enumerate(sequences):
            for index in sequence:
                if index < width:
                    matrix[row, index] += 1.0
            if mode == "binary":
                matrix[row] = matrix[row] > 0
            elif mode == "freq" and len(sequence):
                matrix[row] /= len(sequence)
        return matrix

    def texts_to_matrix(self, texts: Iterable[Any], mode: str = "binary") -> Any:
        return self.sequences_to_matrix(self.texts_to_sequences(texts), mode=mode)

    def get_config(self) -> dict[str, Any]:
        return {
            "num_words": self.num_words,
            "filters": self.filters,
            "lower": self.lower,
            "split": self.split,
            "char_level": self.char_level,
            "oov_token": self.oov_token,
            "document_count": self.document_count,
            "word_counts": json.dumps(self.word_counts),
            "word_docs": json.dumps(self.word_docs),
            "index_docs": json.dumps(self.index_docs),
            "index_word": json.dumps(self.index_word),
            "word_index": json.dumps(self.word_index),
        }

    def to_json(self, **kwargs: Any) -> str:
        return json.dumps({"class_name": "Tokenizer", "config": self.get_config()}, **kwargs)


def tokenizer_from_json(json_string: str) -> Tokenizer:
    """The :class:`Tokenizer` ``Tokenizer.to_json`` wrote (plain JSON; nothing is executed)."""
    config = json.loads(json_string)["config"]
    tokenizer = Tokenizer(
        num_words=config["num_words"],
        filters=config["filters"],
        lower=config["lower"],
        split=config["split"],
        char_level=config["char_level"],
        oov_token=config["oov_token"],
    )
    tokenizer.document_count = config["document_count"]
    tokenizer.word_counts = OrderedDict(json.loads(config["word_counts"]))
    tokenizer.word_docs = defaultdict(int, json.loads(config["word_docs"]))
    tokenizer.index_docs = defaultdict(
        int, {int(k): v for k, v in json.loads(config["index_docs"]).items()}
    )
    tokenizer.index_word = {int(k): v for k, v in json.loads(config["index_word"]).items()}
    tokenizer.word_index = json.loads(config["word_index"])
    return tokenizer


__getattr__ = module_getattr("keras.preprocessing.text")
