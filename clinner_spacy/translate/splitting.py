"""Split token sequences that are too long for the model, rather than truncating them.

Works on sentencepiece pieces ("▁" starts a word). A too-long sequence is cut at the last
sentence-final punctuation that fits, else at the last comma-like one, else at the last word
start, else hard at the limit; the rest is split the same way. The parts are translated
separately and joined with a space, so nothing of the input is lost.
"""
from typing import List, Sequence

WORD_START = "\u2581"
STRONG = frozenset(".;:!?")
WEAK = frozenset(",)]}\u2014\u2013")


def _ends_with(piece: str, chars: frozenset) -> bool:
    piece = piece.rstrip()
    return bool(piece) and piece[-1] in chars


def split_pieces(pieces: Sequence[str], max_length: int) -> List[List[str]]:
    """Cut a piece sequence into parts of at most max_length pieces.

    pieces (Sequence[str]): sentencepiece pieces of one sentence.
    max_length (int): the most pieces one part may have (>= 1).
    RETURNS (List[List[str]]): the parts, in order; their concatenation is `pieces`.
    """
    if max_length < 1:
        raise ValueError(f"max_length must be at least 1, got {max_length}")
    parts: List[List[str]] = []
    rest = list(pieces)
    while len(rest) > max_length:
        cut = _best_cut(rest, max_length)
        parts.append(rest[:cut])
        rest = rest[cut:]
    if rest or not parts:
        parts.append(rest)
    return parts


def _best_cut(pieces: List[str], max_length: int) -> int:
    # a cut at position i keeps pieces[:i]; never cut before a quarter of the limit, so a
    # full stop right at the start does not produce a stream of tiny parts
    low = max(1, max_length // 4)
    window = range(max_length, low - 1, -1)
    for chars in (STRONG, WEAK):
        for i in window:
            if _ends_with(pieces[i - 1], chars):
                return i
    for i in window:
        if pieces[i].startswith(WORD_START):
            return i
    return max_length
