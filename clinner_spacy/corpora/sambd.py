"""SamBD: down-sample training sentences towards a balanced label distribution.

Source: Belkadi, Han, Wu and Nenadic, "Exploring the Value of Pre-trained Language Models for
Clinical Named Entity Recognition" (arXiv:2210.12770, v4 2023), who down-sample the training
data "for better data distribution" (SamBD, Sampling Based on Data Distribution). Their code
was not available offline; this is the rule as this project states and implements it:

1. Units are sentences (doc.sents when the Doc has sentence boundaries, else the whole Doc);
   a boundary inside an entity is removed, so no mention is cut.
2. The cap T is the mention count of the least frequent label (labels present in the input).
3. Units with mentions are visited rarest label first: ordered by the overall frequency of
   the rarest label they contain, ties broken by a seeded random draw.
4. A unit is kept when at least one of its labels is still below T; its mentions are then
   counted. So every sentence of the rarest label is kept, and frequent labels stop growing
   once they reach T (they can pass it only through sentences that also hold a rarer label).
5. Units without mentions are kept at the same rate as units with mentions (a seeded draw),
   so the share of entity-free sentences does not change.
Kept units come back as new Docs in corpus order, with metadata doc_id "<doc_id>#s<i>",
source_doc_id and the original corpus metadata (annotated_labels included).
"""
import random
from collections import Counter
from typing import Any, Dict, List, Sequence, Tuple

from spacy.tokens import Doc

from ..util import get_meta


def sentence_units(doc: Doc) -> List[Tuple[int, int]]:
    """Token ranges of the sentences of a Doc, merged where an entity crosses a boundary."""
    if len(doc) == 0:
        return []
    if doc.has_annotation("SENT_START"):
        starts = {sent.start for sent in doc.sents}
    else:
        starts = {0}
    for ent in doc.ents:
        starts -= set(range(ent.start + 1, ent.end))
    bounds = sorted(starts) + [len(doc)]
    return list(zip(bounds[:-1], bounds[1:]))


def sambd(docs: Sequence[Doc], *, seed: int = 0) -> Tuple[List[Doc], Dict[str, Any]]:
    """Down-sample sentences of docs towards the least frequent label's mention count.

    docs (Sequence[Doc]): training documents with doc.ents.
    seed (int): the seed of the tie-breaking and entity-free draws.
    RETURNS (Tuple[List[Doc], Dict[str, Any]]): the kept sentence Docs, and a report with
        the cap, label counts before and after, and sentence counts before and after.
    """
    rng = random.Random(seed)
    units = []  # (doc index, start, end, Counter of labels)
    for d, doc in enumerate(docs):
        for start, end in sentence_units(doc):
            labels = Counter(e.label_ for e in doc.ents if start <= e.start < end)
            units.append((d, start, end, labels))
    before: Counter = Counter()
    for unit in units:
        before.update(unit[3])
    with_ents = [i for i, u in enumerate(units) if u[3]]
    empty = [i for i, u in enumerate(units) if not u[3]]
    cap = min(before.values()) if before else 0
    rank = {label: r for r, label in enumerate(sorted(before, key=lambda lb: (before[lb], lb)))}
    draws = {i: rng.random() for i in with_ents}
    order = sorted(with_ents, key=lambda i: (min(rank[lb] for lb in units[i][3]), draws[i]))
    kept_counts: Counter = Counter()
    kept = set()
    for i in order:
        labels = units[i][3]
        if any(kept_counts[lb] < cap for lb in labels):
            kept.add(i)
            kept_counts.update(labels)
    rate = len(kept) / len(with_ents) if with_ents else 1.0
    kept.update(i for i in empty if rng.random() < rate)
    out = [_unit_doc(docs[units[i][0]], units[i][1], units[i][2]) for i in sorted(kept)]
    report = {
        "method": "SamBD (Belkadi et al. 2023, arXiv:2210.12770), as documented in corpora/sambd.py",
        "seed": seed,
        "cap": cap,
        "labels_before": dict(sorted(before.items())),
        "labels_after": dict(sorted(kept_counts.items())),
        "sentences_before": len(units),
        "sentences_after": len(out),
        "entity_free_before": len(empty),
        "entity_free_after": sum(1 for i in kept if not units[i][3]),
    }
    return out, report


def _unit_doc(doc: Doc, start: int, end: int) -> Doc:
    sent = doc[start:end].as_doc()
    meta = dict(get_meta(doc))
    doc_id = meta.get("doc_id", "")
    meta.update(doc_id=f"{doc_id}#s{start}", source_doc_id=doc_id, source_tokens=[start, end])
    sent.user_data["clinner"] = meta
    return sent
