"""Placing an entity whose markers did not survive: search its translation in the sentence.

The entity text is translated on its own (project.py does that, batched) and each query
(that translation, the source text itself for drug names and numbers that stay as they are)
is searched in the translated sentence by a chain of locators, strictest first: exact,
case-insensitive, normalised tokens ("lemma-ish": accents, case, plural -s), fuzzy
(difflib ratio over token windows, with a threshold), and optionally an encoder (see
embedding.py). A locator returns nothing rather than a guess below its threshold; the entity is
then reported as lost. Candidates that overlap a span already placed for another entity are
skipped, and among equally good candidates the one nearest the entity's relative position in
the source sentence wins, deterministically, flagged `ambiguous` so the report can count it.
"""
import re
import unicodedata
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import List, Optional, Protocol, Sequence, Tuple

Range = Tuple[int, int]
TOKEN_RE = re.compile(r"\w+|[^\w\s]")
_UNKNOWN_MARKS = str.maketrans("", "", "*#@~")
# dropped from the edges of a query before token matching: MT often adds or drops articles
_EDGE_WORDS = {"the", "a", "an", "of", "le", "la", "les", "el", "los", "las", "un", "una", "une"}


@dataclass(frozen=True)
class Placement:
    """Where a locator put an entity in the translated sentence.

    start (int), end (int): character offsets in the sentence.
    method (str): the locator name, e.g. "fallback-exact".
    score (float): 1.0 for exact methods, the similarity for fuzzy ones.
    ambiguous (bool): other candidates scored the same; the nearest to the source position won.
    """

    start: int
    end: int
    method: str
    score: float = 1.0
    ambiguous: bool = False


class Locator(Protocol):
    """Finds one of the queries in a target sentence, or returns None."""

    name: str

    def locate(
        self, target: str, queries: Sequence[str], *, forbidden: Sequence[Range], hint: float
    ) -> Optional[Placement]:
        ...


def tokens(text: str) -> List[Tuple[str, int, int]]:
    """Word and punctuation tokens with their character offsets."""
    return [(m.group(), m.start(), m.end()) for m in TOKEN_RE.finditer(text)]


def normalise(word: str) -> str:
    """Lemma-ish form: no accents or unknown-word marks, lower case, no plural -s/-es."""
    word = unicodedata.normalize("NFKD", word.translate(_UNKNOWN_MARKS))
    word = "".join(c for c in word if not unicodedata.combining(c)).lower()
    if len(word) > 4 and word.endswith("es"):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def _overlaps(span: Range, forbidden: Sequence[Range]) -> bool:
    return any(span[0] < e and s < span[1] for s, e in forbidden)


def choose(target: str, found: List[Tuple[Range, float]], method: str, hint: float) -> Optional[Placement]:
    """Best-scoring candidate; ties go to the one nearest the hint (relative position 0..1)."""
    if not found:
        return None
    best = max(score for _, score in found)
    tied = sorted({span for span, score in found if score >= best - 1e-9})
    size = max(len(target), 1)
    span = min(tied, key=lambda r: (abs((r[0] + r[1]) / 2 / size - hint), r))
    return Placement(span[0], span[1], method, best, ambiguous=len(tied) > 1)


class ExactLocator:
    """Occurrences of the query on token boundaries, optionally ignoring case."""

    def __init__(self, casefold: bool = False):
        self.casefold = casefold
        self.name = "fallback-casefold" if casefold else "fallback-exact"

    def _fold(self, text: str) -> str:
        # per character, so that offsets stay valid even where lower() changes the length
        return "".join(c.lower() if len(c.lower()) == 1 else c for c in text) if self.casefold else text

    def locate(self, target, queries, *, forbidden, hint):
        starts = {s for _, s, _ in tokens(target)}
        ends = {e for _, _, e in tokens(target)}
        hay = self._fold(target)
        for query in queries:
            needle = self._fold(query.strip())
            if not needle:
                continue
            found, at = [], hay.find(needle)
            while at != -1:
                span = (at, at + len(needle))
                if at in starts and span[1] in ends and not _overlaps(span, forbidden):
                    found.append((span, 1.0))
                at = hay.find(needle, at + 1)
            placed = choose(target, found, self.name, hint)
            if placed:
                return placed
        return None


def _query_norm(query: str) -> List[str]:
    words = [normalise(t) for t, _, _ in tokens(query)]
    while words and words[0] in _EDGE_WORDS:
        words.pop(0)
    while words and words[-1] in _EDGE_WORDS:
        words.pop()
    return words


class LemmaLocator:
    """The query's normalised token sequence found among the sentence's normalised tokens."""

    name = "fallback-lemma"

    def locate(self, target, queries, *, forbidden, hint):
        toks = tokens(target)
        norm = [normalise(t) for t, _, _ in toks]
        for query in queries:
            q = _query_norm(query)
            if not q:
                continue
            found = []
            for i in range(len(toks) - len(q) + 1):
                if norm[i : i + len(q)] == q:
                    span = (toks[i][1], toks[i + len(q) - 1][2])
                    if not _overlaps(span, forbidden):
                        found.append((span, 1.0))
            placed = choose(target, found, self.name, hint)
            if placed:
                return placed
        return None


class FuzzyLocator:
    """The token window most similar to the query (difflib ratio on normalised text, in order
    or with the tokens sorted, whichever is higher).

    threshold (float): minimum ratio; below it nothing is placed.
    min_chars (int): shorter queries are not matched fuzzily (too many near-misses).
    """

    name = "fallback-fuzzy"

    def __init__(self, threshold: float = 0.8, min_chars: int = 4):
        self.threshold = threshold
        self.min_chars = min_chars

    def locate(self, target, queries, *, forbidden, hint):
        toks = [t for t in tokens(target) if re.match(r"\w", t[0])]
        norm = [normalise(t) for t, _, _ in toks]
        found: List[Tuple[Range, float]] = []
        for query in queries:
            q = _query_norm(query)
            qtext, qsorted = " ".join(q), " ".join(sorted(q))
            if len(qtext) < self.min_chars:
                continue
            for size in range(max(1, len(q) - 1), len(q) + 2):
                for i in range(len(toks) - size + 1):
                    span = (toks[i][1], toks[i + size - 1][2])
                    if _overlaps(span, forbidden):
                        continue
                    window = norm[i : i + size]
                    # max of the plain ratio and the ratio of sorted tokens, since MT reorders
                    # words inside a term ("fosa iliaca derecha" -> "right iliac fossa")
                    score = max(
                        SequenceMatcher(None, qtext, " ".join(window)).ratio(),
                        SequenceMatcher(None, qsorted, " ".join(sorted(window))).ratio(),
                    )
                    if score >= self.threshold:
                        found.append((span, round(score, 6)))
        return choose(target, found, self.name, hint)


def default_locators(fuzzy_threshold: float = 0.8) -> List[Locator]:
    """The standard chain, strictest first."""
    return [ExactLocator(), ExactLocator(casefold=True), LemmaLocator(), FuzzyLocator(fuzzy_threshold)]


def locate(
    target: str, queries: Sequence[str], locators: Sequence[Locator], *, forbidden: Sequence[Range] = (), hint: float = 0.5
) -> Optional[Placement]:
    """Run the locators in order; the first placement wins.

    target (str): the translated sentence.
    queries (Sequence[str]): texts to look for, most trusted first.
    locators (Sequence[Locator]): strictest first.
    forbidden (Sequence[Range]): spans taken by other entities.
    hint (float): the entity's relative position (0..1) in the source sentence, for ties.
    RETURNS (Optional[Placement]): the placement, or None when no locator is confident.
    """
    queries = [q for q in dict.fromkeys(q.strip() for q in queries) if q]
    for locator in locators:
        placed = locator.locate(target, queries, forbidden=forbidden, hint=hint)
        if placed is not None:
            return placed
    return None
