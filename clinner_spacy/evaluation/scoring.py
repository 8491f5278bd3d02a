"""Span-level precision, recall and F1: strict and lenient; per label, micro, macro, weighted.

- strict: a prediction is correct when its start, end and label equal a gold span's.
- lenient: a prediction is correct when it overlaps a gold span of the same label; each gold
  span is matched at most once (greedy, in text order: each prediction takes the first
  still unmatched overlapping gold span), so lenient TP counts predictions and gold alike.
- micro: from the summed counts; macro: the unweighted mean of per-label P, R and F1 over
  the labels that occur (in gold or predictions); weighted: the mean weighted by each
  label's gold support, as in Belkadi et al. (2023) and sklearn/seqeval "weighted avg".
Undefined ratios (0/0) are 0.0, as in spaCy's PRFScore; a summary with no spans at all
reports None, as spaCy's get_ner_prf does.
"""
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

from .spans import DocSpans, Span


@dataclass
class Counts:
    """True positives, false positives and false negatives of one label (or all)."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    def __iadd__(self, other: "Counts") -> "Counts":
        self.tp, self.fp, self.fn = self.tp + other.tp, self.fp + other.fp, self.fn + other.fn
        return self

    @property
    def support(self) -> int:
        return self.tp + self.fn

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def to_dict(self) -> Dict[str, Any]:
        return {"p": self.precision, "r": self.recall, "f": self.f, "tp": self.tp, "fp": self.fp, "fn": self.fn,
                "support": self.support}


def strict_counts(doc: DocSpans) -> Dict[str, Counts]:
    """Per-label strict counts of one document."""
    out: Dict[str, Counts] = defaultdict(Counts)
    for _, _, label in doc.pred & doc.gold:
        out[label].tp += 1
    for _, _, label in doc.pred - doc.gold:
        out[label].fp += 1
    for _, _, label in doc.gold - doc.pred:
        out[label].fn += 1
    return dict(out)


def lenient_counts(doc: DocSpans) -> Dict[str, Counts]:
    """Per-label overlap counts of one document (greedy one-to-one matching)."""
    out: Dict[str, Counts] = defaultdict(Counts)
    golds_by_label: Dict[str, List[Span]] = defaultdict(list)
    for span in sorted(doc.gold):
        golds_by_label[span[2]].append(span)
    matched = set()
    for start, end, label in sorted(doc.pred):
        for gold in golds_by_label.get(label, []):
            if gold not in matched and gold[0] < end and start < gold[1]:
                matched.add(gold)
                out[label].tp += 1
                break
        else:
            out[label].fp += 1
    for gold in doc.gold:
        if gold not in matched:
            out[gold[2]].fn += 1
    return dict(out)


def summarize(per_label: Dict[str, Counts]) -> Dict[str, Any]:
    """Micro, macro and support-weighted P/R/F1 from per-label counts.

    per_label (Dict[str, Counts]): counts summed over documents.
    RETURNS (Dict[str, Any]): {"micro", "macro", "weighted", "per_label"}.
    """
    total = Counts()
    for counts in per_label.values():
        total += counts
    labels = sorted(label for label, c in per_label.items() if c.tp + c.fp + c.fn)
    micro: Optional[Dict[str, Any]] = total.to_dict() if total.tp + total.fp + total.fn else None
    macro = weighted = None
    if labels:
        macro = {k: sum(getattr(per_label[lb], a) for lb in labels) / len(labels) for k, a in _PRF}
    support = sum(per_label[lb].support for lb in labels)
    if support:
        weighted = {
            k: sum(getattr(per_label[lb], a) * per_label[lb].support for lb in labels) / support for k, a in _PRF
        }
    return {
        "micro": micro,
        "macro": macro,
        "weighted": weighted,
        "per_label": {lb: per_label[lb].to_dict() for lb in labels},
    }


_PRF: Tuple[Tuple[str, str], ...] = (("p", "precision"), ("r", "recall"), ("f", "f"))


def sum_counts(per_doc: Iterable[Dict[str, Counts]]) -> Dict[str, Counts]:
    """Sum per-label counts over documents."""
    out: Dict[str, Counts] = defaultdict(Counts)
    for doc in per_doc:
        for label, counts in doc.items():
            out[label] += counts
    return dict(out)


def score_spans(docs: Sequence[DocSpans]) -> Dict[str, Any]:
    """Strict and lenient summaries of a set of documents.

    docs (Sequence[DocSpans]): one entry per scored document.
    RETURNS (Dict[str, Any]): {"strict": summary, "lenient": summary}, see summarize().
    """
    return {
        "strict": summarize(sum_counts(strict_counts(d) for d in docs)),
        "lenient": summarize(sum_counts(lenient_counts(d) for d in docs)),
    }
