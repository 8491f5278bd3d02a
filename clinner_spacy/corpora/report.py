"""The conversion report: what every corpus conversion kept, changed, dropped and skipped.

Nothing is lost silently: each span the overlap policy (policy.py) changes or drops is counted
per split, schema label and reason, each ignored upstream label is counted, and each skipped
document is listed with its reason. The report is saved as report.json and report.md beside
the DocBins, and `clinner stats` reads it back.
"""
import json
from collections import defaultdict
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Dict, List, Union

from ..schema import LABELS

# Reasons for which a span is not in doc.ents. Keep in sync with policy.py.
DROP_REASONS = ("overlap_dropped", "duplicate_dropped", "unalignable_dropped")
# Reasons for which a span is in doc.ents but not exactly as the source gave it.
CHANGE_REASONS = (
    "discontinuous_truncated",
    "discontinuous_kept_whole",
    "boundary_expanded",
    "whitespace_trimmed",
)


def _nested() -> Dict[str, Dict[str, Dict[str, int]]]:
    return defaultdict(lambda: defaultdict(lambda: defaultdict(int)))


@dataclass
class ConversionReport:
    """Counts of one corpus's conversion. JSON-serialisable via to_dict().

    corpus (str): the corpus name (e.g. "e3c-en").
    lang (str): the language code.
    splits (Dict[str, Dict[str, Any]]): per split: documents, sentences, tokens, entities per label.
    changes (Dict[str, Dict[str, Dict[str, int]]]): split -> schema label -> reason -> count.
    ignored (Dict[str, Dict[str, int]]): split -> upstream label -> count of ignored spans.
    skipped (List[Dict[str, str]]): skipped documents, each with doc_id, path, split and reason.
    notes (List[str]): how splits were made and other facts worth knowing.
    settings (Dict[str, Any]): the options the conversion ran with.
    """

    corpus: str
    lang: str = ""
    splits: Dict[str, Dict[str, Any]] = field(default_factory=dict)
    changes: Dict[str, Dict[str, Dict[str, int]]] = field(default_factory=_nested)
    ignored: Dict[str, Dict[str, int]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(int)))
    skipped: List[Dict[str, str]] = field(default_factory=list)
    notes: List[str] = field(default_factory=list)
    settings: Dict[str, Any] = field(default_factory=dict)

    def count(self, split: str, label: str, reason: str, n: int = 1) -> None:
        """Count n spans of a schema label changed or dropped for a reason."""
        self.changes[split][label][reason] += n

    def count_ignored(self, split: str, upstream_label: str, n: int = 1) -> None:
        """Count n spans whose upstream label the labelmap ignores."""
        self.ignored[split][upstream_label] += n

    def add_doc(self, split: str, n_sents: int, n_tokens: int, ents: Dict[str, int]) -> None:
        """Add one converted document to the split totals."""
        stats = self.splits.setdefault(
            split, {"documents": 0, "sentences": 0, "tokens": 0, "entities": {}}
        )
        stats["documents"] += 1
        stats["sentences"] += n_sents
        stats["tokens"] += n_tokens
        for label, n in ents.items():
            stats["entities"][label] = stats["entities"].get(label, 0) + n

    def dropped(self, split: str, label: str) -> int:
        """Spans of a label that the policy dropped from a split (not in doc.ents)."""
        by_reason = self.changes.get(split, {}).get(label, {})
        return sum(by_reason.get(r, 0) for r in DROP_REASONS)

    def to_dict(self) -> Dict[str, Any]:
        """Plain dicts and lists only (json.dumps turns the defaultdicts into dicts)."""
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        return json.loads(json.dumps(data))

    @classmethod
    def from_dict(cls, data: Dict[str, Any]) -> "ConversionReport":
        report = cls(corpus=data["corpus"], lang=data.get("lang", ""))
        report.splits = data.get("splits", {})
        for split, labels in data.get("changes", {}).items():
            for label, reasons in labels.items():
                for reason, n in reasons.items():
                    report.count(split, label, reason, n)
        for split, labels in data.get("ignored", {}).items():
            for label, n in labels.items():
                report.count_ignored(split, label, n)
        report.skipped = list(data.get("skipped", []))
        report.notes = list(data.get("notes", []))
        report.settings = dict(data.get("settings", {}))
        return report

    def to_json(self, path: Union[str, Path]) -> None:
        Path(path).write_text(json.dumps(self.to_dict(), indent=2, sort_keys=True), encoding="utf-8")

    @classmethod
    def from_json(cls, path: Union[str, Path]) -> "ConversionReport":
        return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))

    def to_markdown(self) -> str:
        """Render the report as markdown tables (splits, then changes, ignored, skipped)."""
        found = {l for s in self.splits.values() for l in s["entities"]}
        labels = [l for l in LABELS if l in found] + sorted(found - set(LABELS))
        lines = [f"# Conversion report: {self.corpus} ({self.lang})", ""]
        head = ["split", "documents", "sentences", "tokens"] + labels
        lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        order = {"train": 0, "dev": 1, "test": 2}
        for split, s in sorted(self.splits.items(), key=lambda kv: (order.get(kv[0], 3), kv[0])):
            row = [split, s["documents"], s["sentences"], s["tokens"]]
            row += [s["entities"].get(l, 0) for l in labels]
            lines.append("| " + " | ".join(str(x) for x in row) + " |")
        lines += ["", "## Spans changed or dropped by the overlap policy", ""]
        lines += ["| split | label | reason | count |", "|---|---|---|---|"]
        for split, by_label in self.changes.items():
            for label, reasons in sorted(by_label.items()):
                for reason, n in sorted(reasons.items()):
                    lines.append(f"| {split} | {label} | {reason} | {n} |")
        lines += ["", "## Ignored upstream labels", "", "| split | upstream label | count |", "|---|---|---|"]
        for split, by_label in self.ignored.items():
            for label, n in sorted(by_label.items()):
                lines.append(f"| {split} | {label} | {n} |")
        lines += ["", f"## Skipped documents: {len(self.skipped)}", ""]
        lines += [f"- {s['doc_id']} ({s['split']}): {s['reason']}" for s in self.skipped]
        if self.notes:
            lines += ["", "## Notes", ""] + [f"- {n}" for n in self.notes]
        return "\n".join(lines) + "\n"
