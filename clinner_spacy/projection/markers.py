"""Mark-then-translate: wrap entities in numbered tags, translate, read the tags back.

Scheme: `<e1>dolor abdominal</e1>`, numbered from 1 in each sentence. Why this one:
- Apertium (default txt format) passes `<e1>` through as an unknown word, at most prefixed by an
  unknown-word mark (`<*e1>`), which the parser tolerates; its html format also keeps the tags
  but re-capitalises the text after every tag, so txt is the better mode. Because each tag is a
  token boundary for Apertium's chunker, words are reordered inside an entity
  ("fosa ilíaca derecha" -> "right iliac fossa") but not across its edges.
- Neural MT copies XML-like tags well, and a number (not a label name) in the tag means the
  label is restored from the id, never translated, and duplicated or swapped tags are detectable.
The parser accepts the damage seen from MT (spaces inside tags, `*#@` marks) and reports each
entity's fate; any malformed leftover of a tag is removed from the text and counted.
"""
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Dict, List, Sequence, Tuple

# Statuses of one entity after parsing; everything but OK goes to the fallback (fallback.py).
OK = "ok"
MISSING = "missing"  # neither tag came back
UNBALANCED = "unbalanced"  # only one of the two tags came back
DUPLICATED = "duplicated"  # a tag came back more than once
REVERSED = "reversed"  # closing tag before the opening one
EMPTY = "empty"  # nothing but whitespace between the tags
CROSSED = "crossed"  # tags cross or enclose another entity's tags unlike the source spans

_MARK = r"[*#@~]*"
TAG_RE = re.compile(
    r"<\s*" + _MARK + r"\s*(/)?\s*" + _MARK + r"\s*[eE]\s*(\d+)\s*" + _MARK + r"\s*/?\s*>"
)
# What is left of a tag that MT broke (lost bracket, split number): removed, counted.
RESIDUE_RE = re.compile(r"<\s*" + _MARK + r"/?\s*" + _MARK + r"[eE]\d+|(?<!\w)/?[eE]\d+\s*>|<\s*/\s*>")


def open_tag(i: int) -> str:
    return f"<e{i}>"


def close_tag(i: int) -> str:
    return f"</e{i}>"


def mark_text(text: str, spans: Sequence[Tuple[int, int]]) -> str:
    """Insert numbered tags around character spans; span k (0-based) gets id k + 1.

    Nested and overlapping spans get tags in a fixed order: at one offset, closing tags come
    before opening ones, the outer span opens first and the inner one closes first.

    text (str): the source sentence.
    spans (Sequence[Tuple[int, int]]): character (start, end) pairs within text, non-empty.
    RETURNS (str): the marked text.
    """
    inserts: List[Tuple[int, int, int, str]] = []
    for k, (start, end) in enumerate(spans):
        if not 0 <= start < end <= len(text):
            raise ValueError(f"span {k} ({start}, {end}) is empty or outside a text of {len(text)} chars")
        # sort key: offset, closes (0) before opens (1), then nesting order
        inserts.append((start, 1, -end, open_tag(k + 1)))
        inserts.append((end, 0, -start, close_tag(k + 1)))
    inserts.sort()
    out, prev = [], 0
    for offset, _, _, tag in inserts:
        out.append(text[prev:offset])
        out.append(tag)
        prev = offset
    out.append(text[prev:])
    return "".join(out)


@dataclass
class MarkerParse:
    """The marker-free translation and where each entity's tags put it.

    text (str): translation without tags, whitespace collapsed.
    spans (Dict[int, Tuple[int, int]]): id -> (start, end) in text, for entities with status OK.
    status (Dict[int, str]): id -> status, for every expected id.
    stray (int): tags with an id that was not sent.
    residue (int): malformed tag leftovers removed from the text.
    """

    text: str
    spans: Dict[int, Tuple[int, int]] = field(default_factory=dict)
    status: Dict[int, str] = field(default_factory=dict)
    stray: int = 0
    residue: int = 0


def _strip_tags(marked: str) -> Tuple[str, List[Tuple[int, bool, int]], int]:
    """Remove tags and residue; return text, (offset, is_close, id) events, residue count."""
    pieces: List[str] = []
    events: List[Tuple[int, bool, int]] = []
    length, prev, residue, last = 0, 0, 0, ""
    pattern = re.compile(f"{TAG_RE.pattern}|(?P<residue>{RESIDUE_RE.pattern})")
    for m in pattern.finditer(marked):
        chunk = marked[prev : m.start()]
        # "word<e1>word" would glue two words into one token: keep them apart
        last = chunk[-1] if chunk else last
        if last.isalnum() and marked[m.end() : m.end() + 1].isalnum():
            chunk += " "
            last = " "
        pieces.append(chunk)
        length += len(chunk)
        if m.group("residue") is not None:
            residue += 1
        else:
            events.append((length, m.group(1) is not None, int(m.group(2))))
        prev = m.end()
    pieces.append(marked[prev:])
    return "".join(pieces), events, residue


def collapse_spaces(text: str) -> Tuple[str, List[int]]:
    """Collapse whitespace runs to one space and strip; map each old offset to a new one."""
    out: List[str] = []
    mapping: List[int] = []
    for ch in text:
        mapping.append(len(out))
        if unicodedata.category(ch) in ("Zs", "Cc") or ch.isspace():
            if out and out[-1] != " ":
                out.append(" ")
        else:
            out.append(ch)
    mapping.append(len(out))
    if out and out[-1] == " ":
        out.pop()
    final = len(out)
    return "".join(out), [min(m, final) for m in mapping]


def _relation(a: Tuple[int, int], b: Tuple[int, int]) -> str:
    if a[1] <= b[0] or b[1] <= a[0]:
        return "disjoint"
    if (a[0] <= b[0] and b[1] <= a[1]) or (b[0] <= a[0] and a[1] <= b[1]):
        return "nested"
    return "crossed"


def parse_markers(marked: str, source_spans: Dict[int, Tuple[int, int]]) -> MarkerParse:
    """Read the tags of a translated sentence back into spans on the tag-free text.

    marked (str): the translation of a marked sentence.
    source_spans (Dict[int, Tuple[int, int]]): id -> source (start, end), for every id sent;
        used to tell legitimate nesting/overlap from tags crossed by MT.
    RETURNS (MarkerParse): text, spans of the well-placed entities, status of all.
    """
    raw, events, residue = _strip_tags(marked)
    text, mapping = collapse_spaces(raw)
    opens: Dict[int, List[int]] = {}
    closes: Dict[int, List[int]] = {}
    stray = 0
    for offset, is_close, i in events:
        if i not in source_spans:
            stray += 1
            continue
        (closes if is_close else opens).setdefault(i, []).append(mapping[offset])
    result = MarkerParse(text=text, stray=stray, residue=residue)
    for i in source_spans:
        o, c = opens.get(i, []), closes.get(i, [])
        if not o and not c:
            result.status[i] = MISSING
        elif len(o) > 1 or len(c) > 1:
            result.status[i] = DUPLICATED
        elif not o or not c:
            result.status[i] = UNBALANCED
        elif c[0] < o[0]:
            result.status[i] = REVERSED
        else:
            start, end = o[0], c[0]
            while start < end and text[start].isspace():
                start += 1
            while end > start and text[end - 1].isspace():
                end -= 1
            if start == end:
                result.status[i] = EMPTY
            else:
                result.status[i] = OK
                result.spans[i] = (start, end)
    ids = sorted(result.spans)
    for x, a in enumerate(ids):
        for b in ids[x + 1 :]:
            got = _relation(result.spans[a], result.spans[b])
            was = _relation(source_spans[a], source_spans[b])
            # reordering disjoint entities is fine; disjoint ones that now overlap, or nested
            # ones that came apart or now cross, mean the tags were moved inside a phrase
            if (got == "disjoint") != (was == "disjoint") or (was == "nested" and got == "crossed"):
                result.status[a] = result.status[b] = CROSSED
    for i, status in result.status.items():
        if status != OK:
            result.spans.pop(i, None)
    return result
