"""Statistics of a converted corpus folder (corpus/<name>/): read back from its DocBins and report.

Counts come from the written .spacy files, not from the conversion report, so `clinner stats`
checks what training will really read; the report adds what conversion changed or dropped.
"""
from collections import Counter
from pathlib import Path
from typing import Any, Dict, List, Tuple, Union

from spacy.vocab import Vocab

from ..docbins import read_docs
from ..schema import LABELS
from .build import REPORT_JSON
from .report import ConversionReport

SPLIT_ORDER = ("train", "dev", "test")


def _split_key(path: Path) -> Tuple[int, str]:
    name = path.stem
    return (SPLIT_ORDER.index(name) if name in SPLIT_ORDER else len(SPLIT_ORDER), name)


def corpus_stats(corpus_dir: Union[str, Path]) -> Dict[str, Any]:
    """Documents, sentences, tokens and entities per label for each split of a corpus folder.

    corpus_dir (Union[str, Path]): a folder written by convert_corpus (with <split>.spacy files).
    RETURNS (Dict[str, Any]): {"splits": {split: {...}}, "labels": [...], "report": ConversionReport or None}.
    """
    corpus_dir = Path(corpus_dir)
    files = sorted(corpus_dir.glob("*.spacy"), key=_split_key)
    if not files:
        raise FileNotFoundError(f"no .spacy files in {corpus_dir}")
    vocab = Vocab()
    splits: Dict[str, Dict[str, Any]] = {}
    for path in files:
        n_docs = n_sents = n_tokens = 0
        ents: Counter = Counter()
        for doc in read_docs(path, vocab):
            n_docs += 1
            n_tokens += len(doc)
            n_sents += len(list(doc.sents)) if doc.has_annotation("SENT_START") else 1
            ents.update(e.label_ for e in doc.ents)
        splits[path.stem] = {"documents": n_docs, "sentences": n_sents, "tokens": n_tokens, "entities": dict(ents)}
    found = {label for s in splits.values() for label in s["entities"]}
    labels = [l for l in LABELS if l in found] + sorted(found - set(LABELS))
    report_path = corpus_dir / REPORT_JSON
    report = ConversionReport.from_json(report_path) if report_path.exists() else None
    return {"splits": splits, "labels": labels, "report": report}


def stats_tables(stats: Dict[str, Any]) -> List[Tuple[str, List[str], List[List[Any]]]]:
    """The tables `clinner stats` prints, as (title, header, rows).

    stats (Dict[str, Any]): the output of corpus_stats.
    RETURNS (List[Tuple[str, List[str], List[List[Any]]]]): the tables.
    """
    labels = stats["labels"]
    header = ["split", "documents", "sentences", "tokens"] + labels
    rows = [
        [split, s["documents"], s["sentences"], s["tokens"]] + [s["entities"].get(l, 0) for l in labels]
        for split, s in stats["splits"].items()
    ]
    tables = [("Corpus", header, rows)]
    report = stats["report"]
    if report is None:
        return tables
    splits = list(stats["splits"])
    change_rows = []
    keys = sorted({(l, r) for by_label in report.changes.values() for l, rs in by_label.items() for r in rs})
    for label, reason in keys:
        counts = [report.changes.get(s, {}).get(label, {}).get(reason, 0) for s in splits]
        change_rows.append([label, reason] + counts + [sum(counts)])
    tables.append(("Changed or dropped by the overlap policy", ["label", "reason"] + splits + ["total"], change_rows))
    ignored = sorted({l for by_label in report.ignored.values() for l in by_label})
    ignored_rows = []
    for label in ignored:
        counts = [report.ignored.get(s, {}).get(label, 0) for s in splits]
        ignored_rows.append([label] + counts + [sum(counts)])
    tables.append(("Ignored upstream labels and annotations", ["upstream"] + splits + ["total"], ignored_rows))
    skipped = [[s["doc_id"], s["split"], s["reason"]] for s in report.skipped]
    tables.append((f"Skipped documents: {len(skipped)}", ["doc_id", "split", "reason"], skipped))
    return tables
