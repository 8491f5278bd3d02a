"""More annotated target-language text for the shipped pipelines, with the test texts taken out.

Issue 10 lets a shipped pipeline use every annotated corpus of its language that does not
overlap the evaluation documents. For Spanish these are SPACCC's DisTEMIST (diseases) and
SympTEMIST (symptoms and signs): the same 750 clinical cases, each annotated for one half of
what E3C calls CLINENTITY (DISORDER). Used one by one, a DisTEMIST document would teach that its
symptoms are "outside" a DISORDER; so the layers of one text are merged into one document
first (union of the spans, the longer of two overlapping spans kept, every drop counted).
Then every merged text that shares word 8-grams with any document of the excluded corpora
(all E3C-es splits: 58 of the 750 texts are E3C-es documents) is removed and listed.
"""
import json
from pathlib import Path
from typing import Dict, List, Sequence, Tuple, Union

from spacy.tokens import Doc, DocBin, Span
from spacy.util import filter_spans
from spacy.vocab import Vocab

from ..corpora.overlap import DEFAULT_THRESHOLD, OverlapIndex
from ..util import get_meta, set_meta

SPLITS = ("train", "dev", "test")


def read_docbin(path: Path, vocab: Vocab) -> List[Doc]:
    """Read a DocBin (user data kept), naming the file if it is missing."""
    if not Path(path).is_file():
        raise FileNotFoundError(f"{path}: no such DocBin (run the convert command first)")
    return list(DocBin(store_user_data=True).from_disk(path).get_docs(vocab))


def merge_layers(docs: Sequence[Doc]) -> Tuple[List[Doc], Dict[str, int]]:
    """Merge documents with the same text (annotation layers of one text) into one.

    docs (Sequence[Doc]): documents, several of which may share a text.
    RETURNS (Tuple[List[Doc], Dict[str, int]]): one document per distinct text (first one's
        tokens and metadata, corpus names joined with "+", annotated_labels united), and counts:
        texts, merged (texts with more than one layer), spans, overlap_dropped.
    """
    by_text: Dict[str, List[Doc]] = {}
    for doc in docs:
        by_text.setdefault(doc.text, []).append(doc)
    merged: List[Doc] = []
    stats = {"texts": len(by_text), "merged": 0, "spans": 0, "overlap_dropped": 0}
    for layers in by_text.values():
        base = layers[0]
        if len(layers) > 1:
            stats["merged"] += 1
            spans = [Span(base, e.start, e.end, label=e.label_) for d in layers for e in d.ents]
            kept = filter_spans(spans)  # longest first, then earliest
            stats["overlap_dropped"] += len({(s.start, s.end, s.label_) for s in spans}) - len(kept)
            base.set_ents(kept, default="outside")
            labels = set()
            for d in layers:
                labels.update(get_meta(d, "annotated_labels") or ())
            corpora = list(dict.fromkeys(str(get_meta(d, "corpus")) for d in layers))
            set_meta(base, annotated_labels=tuple(sorted(labels)), corpus="+".join(corpora))
        stats["spans"] += len(base.ents)
        merged.append(base)
    return merged, stats


def build_extra_data(
    *,
    corpus_dir: Union[str, Path],
    corpora: Sequence[str],
    exclude: Sequence[str],
    output_dir: Union[str, Path],
    threshold: float = DEFAULT_THRESHOLD,
) -> Dict:
    """Write <output_dir>/train.spacy and report.json: corpora merged, excluded texts removed.

    corpus_dir (Union[str, Path]): folder of converted corpora (<name>/{train,dev,test}.spacy).
    corpora (Sequence[str]): corpora to use, all their splits (their own carve is not used
        for evaluation here), e.g. ["distemist", "symptemist"].
    exclude (Sequence[str]): corpora whose texts (all splits) must not be trained on, e.g.
        ["e3c-es"].
    output_dir (Union[str, Path]): the output folder.
    threshold (float): a text is excluded when this share of its word 8-grams occurs in the
        excluded corpora.
    RETURNS (Dict): the report written to report.json.
    """
    if not corpora:
        raise ValueError("no corpora given")
    corpus_dir, output_dir = Path(corpus_dir), Path(output_dir)
    vocab = Vocab()
    paths = [corpus_dir / name / f"{split}.spacy" for name in corpora for split in SPLITS]
    ref_paths = [corpus_dir / name / f"{split}.spacy" for name in exclude for split in SPLITS]
    for path in paths + ref_paths:  # every input is looked for before the first output is written
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no such DocBin (run the convert command first)")
    docs = [doc for path in paths for doc in read_docbin(path, vocab)]
    merged, stats = merge_layers(docs)
    refs = [(str(get_meta(d, "doc_id") or f"{p.parent.name}/{p.stem}#{i}"), d.text)
            for p in ref_paths for i, d in enumerate(read_docbin(p, vocab))]
    index = OverlapIndex(refs)
    kept, excluded = DocBin(store_user_data=True), []
    for doc in merged:
        match, share = index.best_match(doc.text)
        if share > threshold:
            excluded.append({"doc_id": get_meta(doc, "doc_id"), "matches": match, "share": round(share, 3)})
        else:
            kept.add(doc)
    report = {
        "corpora": list(corpora),
        "excluded_corpora": list(exclude),
        "threshold": threshold,
        "input_documents": len(docs),
        **stats,
        "excluded": len(excluded),
        "kept": len(kept),
        "kept_tokens": sum(len(d) for d in kept.get_docs(vocab)),
        "excluded_documents": excluded,
    }
    output_dir.mkdir(parents=True, exist_ok=True)
    kept.to_disk(output_dir / "train.spacy")
    (output_dir / "report.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf8")
    return report
