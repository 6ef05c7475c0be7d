"""The class search's ranking: which of the 1000 classes a query finds, best first (no ORM).

The API (``/api/classes/?q=``), the class list page and the class search of the review and blind
labelling pages all show this order; the pages take it from the API and never re-rank.

A class's *name* is its usual name, the first of its WordNet synonyms (``names[0]``, what every
page shows); its *synonyms* are the others (``names[1:]``: other English names and the Latin
binomial). Names, synonyms, gloss and query are compared case-, accent- and
punctuation-insensitively ("pug dog" finds "pug-dog", "carpenters kit" "carpenter's kit").

A query of ASCII digits is a class index and finds that class alone; ``n`` and eight digits is a
wnid and finds that class alone (``n`` and fewer digits: the wnids starting so, by index).
Any other query finds every class whose name, a synonym or gloss contains it, ranked by the
first rule that holds:

1. the name is the query ("tabby");
2. the name starts with the query as whole words ("car" in "car wheel");
3. the name holds the query as whole words ("cat" in "tiger cat");
4. the name starts with the query ("cat" in "catamaran");
5. a word of the name starts with it ("haired" in "German short-haired pointer");
6-10. the same five for a synonym ("puma", "cat bear", "tabby cat", "catamount", ...);
11. inside a word of the name, then 12. inside a word of a synonym ("car" in "streetcar");
13. the gloss holds it as whole words, 14. a word of the gloss starts with it, 15. elsewhere in
    the gloss ("dog" in "sheepdog").

Ties go to the shorter matching name (the name itself for a gloss match), then the lower class
index. Whole words come before the start of a longer word (rule 3 before 4) because a person who
typed "cat" wants a cat before a catamaran; the rest is the issue's order: name, then prefix, then
word, then synonyms, then gloss.
"""

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import IntEnum, StrEnum
from typing import Protocol

_INDEX = re.compile(r"[0-9]+")
_WNID = re.compile(r"n[0-9]{1,8}")
_WNID_LENGTH = 9
_APOSTROPHES = re.compile(r"['\u2019]")
_SEPARATORS = re.compile(r"[\W_]+")


class Match(StrEnum):
    """How a class matched a query, as the API reports it beside each class."""

    INDEX = "index"
    WNID = "wnid"
    WNID_PREFIX = "wnid prefix"
    NAME = "name"
    NAME_PREFIX = "name prefix"
    NAME_WORD = "name word"
    SYNONYM = "synonym"
    SYNONYM_PREFIX = "synonym prefix"
    SYNONYM_WORD = "synonym word"
    INSIDE_A_NAME = "inside a name"
    GLOSS = "gloss"


# The matches that say which class was meant: the blind labelling page answers one on Enter, and
# asks for an explicit choice (arrows or a click) for any other (static/js/reviews/class_search.js
# holds the same list).
DECISIVE = frozenset({Match.INDEX, Match.WNID, Match.NAME, Match.NAME_PREFIX, Match.SYNONYM})


class _Fit(IntEnum):
    """How a query sits in one normalised text, best first."""

    EXACT = 0
    LEADING_WORDS = 1
    WORDS = 2
    PREFIX = 3
    WORD_PREFIX = 4
    INSIDE = 5


_NAME_MATCH = {
    _Fit.EXACT: Match.NAME,
    _Fit.LEADING_WORDS: Match.NAME_PREFIX,
    _Fit.WORDS: Match.NAME_WORD,
    _Fit.PREFIX: Match.NAME_PREFIX,
    _Fit.WORD_PREFIX: Match.NAME_WORD,
}
_SYNONYM_MATCH = {
    _Fit.EXACT: Match.SYNONYM,
    _Fit.LEADING_WORDS: Match.SYNONYM_PREFIX,
    _Fit.WORDS: Match.SYNONYM_WORD,
    _Fit.PREFIX: Match.SYNONYM_PREFIX,
    _Fit.WORD_PREFIX: Match.SYNONYM_WORD,
}
_SYNONYM_RULE = 5  # rules 6-10 are rules 1-5 on a synonym
_INSIDE_NAME_RULE = 10
_INSIDE_SYNONYM_RULE = 11
_GLOSS_RULE = {
    _Fit.EXACT: 12,
    _Fit.LEADING_WORDS: 12,
    _Fit.WORDS: 12,
    _Fit.PREFIX: 13,
    _Fit.WORD_PREFIX: 13,
    _Fit.INSIDE: 14,
}


class ClassRecord(Protocol):
    """What the search reads of a class (``ImageClass``, ``ClassCard`` and ``ClassFacts`` fit)."""

    index: int
    wnid: str
    names: list[str]
    gloss: str


@dataclass(frozen=True)
class Found:
    """A class the query found, and how."""

    index: int
    match: Match


def normalise(text: str) -> str:
    """Lower case without accents; apostrophes dropped, other punctuation as single spaces."""
    decomposed = unicodedata.normalize("NFKD", text)
    letters = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return _SEPARATORS.sub(" ", _APOSTROPHES.sub("", letters)).strip()


def _fit(query: str, text: str) -> _Fit | None:
    """Where the normalised query sits in a normalised text, if it is there at all."""
    if query not in text:
        return None
    if text == query:
        return _Fit.EXACT
    padded = f" {text} "
    if text.startswith(query):
        return _Fit.LEADING_WORDS if text[len(query)] == " " else _Fit.PREFIX
    if f" {query} " in padded:
        return _Fit.WORDS
    if f" {query}" in padded:
        return _Fit.WORD_PREFIX
    return _Fit.INSIDE


@dataclass(frozen=True)
class _Entry:
    index: int
    wnid: str
    name: str
    synonyms: tuple[str, ...]
    gloss: str


class ClassIndex:
    """The classes, normalised once, to search many times."""

    def __init__(self, classes: Iterable[ClassRecord]):
        self._entries = tuple(
            _Entry(
                index=record.index,
                wnid=record.wnid,
                name=normalise(record.names[0]),
                synonyms=tuple(normalise(synonym) for synonym in record.names[1:]),
                gloss=normalise(record.gloss),
            )
            for record in sorted(classes, key=lambda record: record.index)
        )

    def __len__(self) -> int:
        return len(self._entries)

    def search(self, query: str) -> list[Found]:
        """Every class the query finds, best first (the rules in this module's docstring)."""
        query = query.strip()
        if _INDEX.fullmatch(query):
            wanted = int(query)
            return [Found(e.index, Match.INDEX) for e in self._entries if e.index == wanted]
        if _WNID.fullmatch(query.lower()):
            query = query.lower()
            if len(query) == _WNID_LENGTH:
                return [Found(e.index, Match.WNID) for e in self._entries if e.wnid == query]
            return [
                Found(e.index, Match.WNID_PREFIX) for e in self._entries if e.wnid.startswith(query)
            ]
        query = normalise(query)
        if not query:
            return []
        ranked = []
        for entry in self._entries:
            ranking = _rank(query, entry)
            if ranking is not None:
                rule, length, match = ranking
                ranked.append((rule, length, entry.index, match))
        ranked.sort()
        return [Found(index, match) for _, _, index, match in ranked]


def _rank(query: str, entry: _Entry) -> tuple[int, int, Match] | None:
    """(rule, length of the matching name, match) of the entry's best match, or None."""
    fit = _fit(query, entry.name)
    if fit is not None and fit is not _Fit.INSIDE:
        return fit, len(entry.name), _NAME_MATCH[fit]
    best = None
    for synonym in entry.synonyms:
        synonym_fit = _fit(query, synonym)
        if synonym_fit is not None and synonym_fit is not _Fit.INSIDE:
            candidate = (_SYNONYM_RULE + synonym_fit, len(synonym), _SYNONYM_MATCH[synonym_fit])
            if best is None or candidate < best:
                best = candidate
    if best is not None:
        return best
    if fit is _Fit.INSIDE:
        return _INSIDE_NAME_RULE, len(entry.name), Match.INSIDE_A_NAME
    inside = [len(synonym) for synonym in entry.synonyms if query in synonym]
    if inside:
        return _INSIDE_SYNONYM_RULE, min(inside), Match.INSIDE_A_NAME
    gloss_fit = _fit(query, entry.gloss)
    if gloss_fit is not None:
        return _GLOSS_RULE[gloss_fit], len(entry.name), Match.GLOSS
    return None


def search_classes(query: str, classes: Sequence[ClassRecord]) -> list[Found]:
    """Every class of ``classes`` that the query finds, best first (see ``ClassIndex``)."""
    return ClassIndex(classes).search(query)
