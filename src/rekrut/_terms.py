"""Words and phrases of job-ad texts as a sparse postings × terms matrix.

Texts are lower-cased and split into words (letters, with inner hyphens and apostrophes, so
``sosu-assistent`` stays one word); the words of a stop-word list are dropped, the rest are
reduced to their stem by the Snowball stemmer of the language, and phrases are runs of up to
``max_ngram`` consecutive kept stems that do not cross a sentence mark (``. ! ? ; :``, a bullet
or a line break). A posting *has* a term when the term occurs in it at least once.

The tokens of a chunk of texts are factorised once (pandas), so each distinct word is stemmed
once and phrases are built on integer arrays (numpy); 100,000 ads of 80 words take a few
seconds. Needs the ``text`` extra (``snowballstemmer``, ``stop-words``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

__all__ = ["Language", "TermMatrix", "stop_words", "term_matrix"]

Language = Literal["da", "en"]

_SNOWBALL = {"da": "danish", "en": "english"}
_TOKEN = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*|[.!?;:•\n\x00]")
_BREAKS = frozenset(".!?;:•\n\x00")
_DOC_END = "\x00"  # between two texts of a chunk (not white space to str.split)
_STOP, _BREAK = -1, -2
_MAX_STEMS = 1 << 21  # three stem ids share one 63-bit phrase key
_CHUNK = 20_000


@dataclass(frozen=True, slots=True)
class TermMatrix:
    """Which posting has which term.

    Attributes
    ----------
    matrix
        A ``scipy.sparse.csc_array`` of 0/1, postings × terms.
    terms
        Each term as read: the most frequent word of each of its stems, joined by spaces.
    stems
        Each term as the stems it matches (``"fleksibl arbejdstid"``).
    ngram
        How many words each term has.
    """

    matrix: Any
    terms: tuple[str, ...]
    stems: tuple[str, ...]
    ngram: npt.NDArray[np.int64]

    @property
    def postings_with(self) -> npt.NDArray[np.int64]:
        """How many postings have each term."""
        counts: npt.NDArray[np.int64] = np.diff(self.matrix.indptr).astype(np.int64)
        return counts


def stop_words(language: Language) -> frozenset[str]:
    """The stop words of ``language``: the list of the ``stop-words`` package.

    Examples
    --------
    >>> {"og", "til", "med"} <= stop_words("da")
    True
    """
    from stop_words import get_stop_words

    return frozenset(get_stop_words(_SNOWBALL[language]))


class _Vocabulary:
    """Distinct pieces of text (runs without white space) seen so far and their stem codes.

    A piece (``arbejdstider.``) is cut into words and sentence marks by the regular expression
    once, the first time it is seen; each word is stemmed once. Per piece the vocabulary keeps
    its codes (stem ids, ``_STOP`` or ``_BREAK``), so a chunk of texts is coded by one
    dictionary look-up per piece.
    """

    def __init__(self, language: Language) -> None:
        import snowballstemmer

        self._stemmer = snowballstemmer.stemmer(_SNOWBALL[language])
        self._stop = stop_words(language)
        self._word_code: dict[str, int] = {}
        self.stem_ids: dict[str, int] = {}
        self.pieces: dict[str, int] = {}
        self._words: list[list[str]] = []
        self._codes: list[int] = []
        self._starts: list[int] = []
        self._seen = np.zeros(0, dtype=np.int64)

    def add(self, pieces: set[str]) -> None:
        """Register new pieces."""
        for piece in pieces:
            words = _TOKEN.findall(piece)
            self.pieces[piece] = len(self._words)
            self._words.append(words)
            self._starts.append(len(self._codes))
            self._codes.extend(self._code(word) for word in words)

    def stream(self, pieces: list[str]) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
        """The codes of the words of ``pieces`` in order, and where each text ends."""
        self.add(set(pieces).difference(self.pieces))
        ids = np.fromiter(map(self.pieces.__getitem__, pieces), dtype=np.int64, count=len(pieces))
        self._count(ids)
        lengths = np.asarray([len(w) for w in self._words], dtype=np.int64)
        per_piece = lengths[ids]
        first = np.repeat(np.asarray(self._starts, dtype=np.int64)[ids], per_piece)
        within = np.arange(per_piece.sum()) - np.repeat(np.cumsum(per_piece) - per_piece, per_piece)
        codes = np.asarray(self._codes, dtype=np.int64)[first + within]
        ends = ids == self.pieces[_DOC_END]
        return codes, np.repeat(ends, per_piece)

    def _count(self, ids: npt.NDArray[np.int64]) -> None:
        counts = np.bincount(ids, minlength=len(self._words))
        counts[: len(self._seen)] += self._seen
        self._seen = counts

    def _code(self, word: str) -> int:
        code = self._word_code.get(word)
        if code is None:
            code = self._word_code[word] = self._new_code(word)
        return code

    def _new_code(self, word: str) -> int:
        if word in _BREAKS:
            return _BREAK
        if word in self._stop:
            return _STOP
        stem = self._stemmer.stemWord(word)
        code = self.stem_ids.setdefault(stem, len(self.stem_ids))
        if code >= _MAX_STEMS:
            raise ValueError(f"more than {_MAX_STEMS} distinct stems; shorten the texts")
        return code

    def surfaces(self) -> dict[int, str]:
        """The most frequent word of each stem (ties: the alphabetically last)."""
        seen: dict[int, dict[str, int]] = {}
        for words, count in zip(self._words, self._seen.tolist(), strict=True):
            for word in words:
                code = self._word_code[word]
                if code >= 0:
                    forms = seen.setdefault(code, {})
                    forms[word] = forms.get(word, 0) + count
        return {code: max(forms, key=lambda w: (forms[w], w)) for code, forms in seen.items()}


def _chunk_stems(texts: Sequence[str], vocab: _Vocabulary) -> tuple[npt.NDArray[Any], ...]:
    """Stem codes of a chunk's tokens, stop words dropped, and each token's text index."""
    joined = f" {_DOC_END} ".join(texts).lower().replace("\n", " . ") + f" {_DOC_END}"
    stems, ends = vocab.stream(joined.split())
    doc: npt.NDArray[np.int64] = np.cumsum(ends) - ends
    keep = stems != _STOP
    return stems[keep], doc[keep]


def _phrases(
    stems: npt.NDArray[np.int64], doc: npt.NDArray[np.int64], n: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Keys of the ``n``-word phrases (stems in base ``_MAX_STEMS``) and their text index."""
    size = len(stems) - n + 1
    if size <= 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    ok = np.ones(size, dtype=bool)
    key = np.zeros(size, dtype=np.int64)
    for offset in range(n):
        part = stems[offset : offset + size]
        ok &= part >= 0
        key = key * _MAX_STEMS + np.maximum(part, 0)
    return key[ok], doc[:size][ok]


def term_matrix(
    texts: Sequence[str],
    *,
    language: Language = "da",
    max_ngram: int = 3,
    min_postings: int = 20,
) -> TermMatrix:
    """The terms (words and phrases of up to ``max_ngram`` words) each text contains.

    Parameters
    ----------
    texts
        One job-ad text per posting.
    language
        ``"da"`` or ``"en"``: the stemmer and the stop-word list.
    max_ngram
        The longest phrase, in words (1 to 3).
    min_postings
        Keep a term only when at least this many postings have it and at least this many do
        not (a term every posting has cannot be compared).

    Notes
    -----
    Terms whose postings are exactly the same (a word that only ever occurs inside one phrase,
    and the phrase) are one term, named by its longest phrase.

    Examples
    --------
    >>> ads = ["Vi tilbyder fleksible arbejdstider.", "Fuldtid og fleksibel arbejdstid!",
    ...        "Deltid, weekendarbejde"] * 3
    >>> m = term_matrix(ads, min_postings=3)
    >>> m.terms
    ('arbejdstider', 'deltid weekendarbejde', 'tilbyder fleksible arbejdstider', 'fuldtid fleksibel arbejdstider')
    >>> m.postings_with.tolist()
    [6, 3, 3, 3]
    """
    if not 1 <= max_ngram <= 3:
        raise ValueError(f"max_ngram must be 1, 2 or 3, got {max_ngram!r}")
    vocab = _Vocabulary(language)
    keys: list[list[npt.NDArray[np.int64]]] = [[] for _ in range(max_ngram)]
    docs: list[list[npt.NDArray[np.int64]]] = [[] for _ in range(max_ngram)]
    for start in range(0, len(texts), _CHUNK):
        stems, doc = _chunk_stems(texts[start : start + _CHUNK], vocab)
        for n in range(1, max_ngram + 1):
            key, where = _phrases(stems, doc + start, n)
            keys[n - 1].append(key)
            docs[n - 1].append(where)
    blocks = [
        _presence(np.concatenate(keys[n]), np.concatenate(docs[n]), len(texts), min_postings)
        for n in range(max_ngram)
    ]
    return _assemble(blocks, vocab, len(texts))


def _presence(
    key: npt.NDArray[np.int64], doc: npt.NDArray[np.int64], rows: int, min_postings: int
) -> tuple[Any, npt.NDArray[np.int64]]:
    """The 0/1 matrix of the phrases of one length that pass ``min_postings``, and their keys."""
    from scipy import sparse

    column, uniques = pd.factorize(key)
    matrix = sparse.coo_array(
        (np.ones(len(key), dtype=np.float64), (doc, column)), shape=(rows, len(uniques))
    ).tocsc()
    matrix.sum_duplicates()
    matrix.data[:] = 1.0
    df = np.diff(matrix.indptr)
    keep = np.flatnonzero((df >= min_postings) & (df <= rows - min_postings))
    return matrix[:, keep], uniques[keep]


def _assemble(
    blocks: list[tuple[Any, npt.NDArray[np.int64]]], vocab: _Vocabulary, rows: int
) -> TermMatrix:
    from scipy import sparse

    names = {code: stem for stem, code in vocab.stem_ids.items()}
    surface = vocab.surfaces()
    terms: list[str] = []
    stems: list[str] = []
    ngram: list[int] = []
    for n, (_, block_keys) in enumerate(blocks, start=1):
        for key in block_keys.tolist():
            ids = [(key // _MAX_STEMS**power) % _MAX_STEMS for power in range(n - 1, -1, -1)]
            terms.append(" ".join(surface[i] for i in ids))
            stems.append(" ".join(names[i] for i in ids))
            ngram.append(n)
    matrix = sparse.hstack([block for block, _ in blocks], format="csc") if blocks else None
    if matrix is None or matrix.shape[1] == 0:
        matrix = sparse.csc_array((rows, 0))
    keep = _distinct_columns(matrix, np.asarray(ngram, dtype=np.int64))
    return TermMatrix(
        sparse.csc_array(matrix[:, keep]),
        tuple(terms[i] for i in keep),
        tuple(stems[i] for i in keep),
        np.asarray(ngram, dtype=np.int64)[keep],
    )


def _distinct_columns(matrix: Any, ngram: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """One column of each set of identical columns: the longest phrase (the first if tied)."""
    rng = np.random.default_rng(20_250_101)
    projection = matrix.T @ rng.random((matrix.shape[0], 2))
    signature = pd.DataFrame(
        {"a": projection[:, 0], "b": projection[:, 1], "n": -ngram, "i": np.arange(len(ngram))}
    )
    first = signature.sort_values(["n", "i"]).drop_duplicates(["a", "b"], keep="first")
    return np.sort(first["i"].to_numpy())
