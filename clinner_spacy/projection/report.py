"""What projection did to every entity: counts per label and method, and the lost ones listed."""
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Union

import srsly

MARKER = "marker"
LOST = "lost"
# Placed entities that lost to another one in the overlap resolution of doc.ents.
DROPPED_OVERLAP = "dropped-overlap"
# Report column order; fallback methods come from fallback.py/embedding.py locator names.
METHOD_ORDER = [
    MARKER,
    "fallback-exact",
    "fallback-casefold",
    "fallback-lemma",
    "fallback-fuzzy",
    "fallback-embedding",
    DROPPED_OVERLAP,
    LOST,
]


@dataclass
class ProjectionReport:
    """Counts and lists collected while projecting one batch of documents."""

    src_lang: str = ""
    tgt_lang: str = ""
    translator: Dict[str, Any] = field(default_factory=dict)
    text_from: str = "marked"
    docs: int = 0
    sentences: int = 0
    units: int = 0
    merged_sentences: int = 0
    entities: int = 0
    by_label: Dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    marker_status: Counter = field(default_factory=Counter)
    stray_tags: int = 0
    tag_residue: int = 0
    ambiguous: int = 0
    lost: List[Dict[str, Any]] = field(default_factory=list)
    dropped: List[Dict[str, Any]] = field(default_factory=list)
    texts_translated: int = 0
    #: translations the backend cut at its decoding length limit (NLLB max_decoding_length)
    truncated: int = 0
    seconds: float = 0.0

    def count(self, label: str, method: str) -> None:
        self.by_label[label][method] += 1

    @property
    def placed(self) -> int:
        return sum(n for c in self.by_label.values() for m, n in c.items() if m not in (LOST, DROPPED_OVERLAP))

    def to_dict(self) -> Dict[str, Any]:
        totals: Counter = Counter()
        for counter in self.by_label.values():
            totals.update(counter)
        return {
            "src_lang": self.src_lang,
            "tgt_lang": self.tgt_lang,
            "translator": self.translator,
            "text_from": self.text_from,
            "docs": self.docs,
            "sentences": self.sentences,
            "units": self.units,
            "merged_sentences": self.merged_sentences,
            "entities": self.entities,
            "placed": self.placed,
            "placed_share": round(self.placed / self.entities, 4) if self.entities else None,
            "by_method": dict(totals),
            "by_label": {label: dict(c) for label, c in sorted(self.by_label.items())},
            "marker_status": dict(self.marker_status),
            "stray_tags": self.stray_tags,
            "tag_residue": self.tag_residue,
            "ambiguous_fallbacks": self.ambiguous,
            "texts_translated": self.texts_translated,
            "truncated_translations": self.truncated,
            "seconds": round(self.seconds, 3),
            "sentences_per_second": round(self.sentences / self.seconds, 2) if self.seconds else None,
            "lost": self.lost,
            "dropped_overlap": self.dropped,
        }

    def to_markdown(self) -> str:
        data = self.to_dict()
        methods = [m for m in METHOD_ORDER if data["by_method"].get(m)]
        methods += sorted(set(data["by_method"]) - set(methods))
        lines = [
            f"Projection {self.src_lang} -> {self.tgt_lang} with {self.translator.get('name', '?')}: "
            f"{data['docs']} docs, {data['sentences']} sentences, {data['entities']} entities, "
            f"{data['placed']} placed ({_pct(data['placed'], data['entities'])}).",
            "",
            "| label | entities | " + " | ".join(methods) + " | placed |",
            "|---|---:|" + "---:|" * (len(methods) + 1),
        ]
        if self.truncated:
            lines[1:1] = [
                f"Warning: {self.truncated} translations were cut at the translator's decoding length limit "
                "(raise --max-decoding-length).",
                "",
            ]
        rows = list(sorted(data["by_label"].items())) + [("total", data["by_method"])]
        for label, counts in rows:
            n = sum(counts.values())
            placed = sum(v for k, v in counts.items() if k not in (LOST, DROPPED_OVERLAP))
            cells = [f"{counts.get(m, 0)} ({_pct(counts.get(m, 0), n)})" for m in methods]
            lines.append(f"| {label} | {n} | " + " | ".join(cells) + f" | {_pct(placed, n)} |")
        for title, items in (("Lost", self.lost), ("Dropped by overlap resolution", self.dropped)):
            lines += ["", f"{title}: {len(items)}"]
            if items:
                lines += ["", "| doc | sentence | label | text | reason |", "|---|---:|---|---|---|"]
                for it in items:
                    text = str(it["text"]).replace("|", "\\|")
                    lines.append(f"| {it['doc_id']} | {it['sentence']} | {it['label']} | {text} | {it['reason']} |")
        return "\n".join(lines) + "\n"

    def save(self, path: Union[str, Path]) -> Path:
        """Write the JSON report to path and the markdown beside it (same name, .md).

        RETURNS (Path): the markdown path.
        """
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        srsly.write_json(path, self.to_dict())
        md = path.with_suffix(".md")
        md.write_text(self.to_markdown(), encoding="utf8")
        return md


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "-"
