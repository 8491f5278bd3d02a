"""Few-shot training subsets by document: k in (5, 10, 20, all), nested, seeded.

One seeded permutation of the documents is drawn and every subset is a prefix of it, so the
5 documents are inside the 10, which are inside the 20: a learning curve then compares like
with like. Documents keep their corpus order inside a subset. Asking for more documents than
the corpus has is an error rather than a silently smaller "k".
"""
import random
from collections import Counter
from pathlib import Path
from typing import Any, Dict, List, Sequence, Union

from spacy.tokens import Doc

from ..docbins import read_docs, write_docs
from ..util import get_meta, set_meta
from .sambd import sambd

ALL = "all"
K = Union[int, str]


def parse_ks(values: Sequence[Union[str, int]]) -> List[K]:
    """Parse k values ("5", "10", "all"), dropping repeats, in ascending order with "all" last.

    values (Sequence[Union[str, int]]): as given on the command line.
    RETURNS (List[Union[int, str]]): positive ints, then "all" if asked for.
    """
    ks = set()
    for value in values:
        text = str(value).strip().lower()
        if text == ALL:
            ks.add(ALL)
            continue
        if not text.isdigit() or int(text) < 1:
            raise ValueError(f"k must be a positive integer or 'all', got {value!r}")
        ks.add(int(text))
    return sorted((k for k in ks if k != ALL), key=int) + ([ALL] if ALL in ks else [])


def nested_subsets(docs: Sequence[Doc], ks: Sequence[K], *, seed: int = 0) -> Dict[str, List[Doc]]:
    """Draw nested document subsets: prefixes of one seeded permutation.

    docs (Sequence[Doc]): the training documents.
    ks (Sequence[Union[int, str]]): subset sizes, "all" for every document.
    seed (int): the permutation seed.
    RETURNS (Dict[str, List[Doc]]): str(k) -> the documents, in corpus order.
    """
    order = list(range(len(docs)))
    random.Random(seed).shuffle(order)
    out: Dict[str, List[Doc]] = {}
    for k in parse_ks(ks):
        n = len(docs) if k == ALL else int(k)
        if n > len(docs):
            raise ValueError(f"k={k} asks for more documents than the input has ({len(docs)})")
        out[str(k)] = [docs[i] for i in sorted(order[:n])]
    return out


def label_counts(docs: Sequence[Doc]) -> Dict[str, int]:
    """Entity mentions per label over documents."""
    return dict(sorted(Counter(ent.label_ for doc in docs for ent in doc.ents).items()))


def _write(docs: Sequence[Doc], path: Path, **meta: Any) -> None:
    # DocBin.add serialises user_data at once, so docs shared by subsets can be re-labelled.
    write_docs((set_meta(doc, **meta) for doc in docs), path)


def sample_docbin(
    *, input_path: Path, output_dir: Path, ks: Sequence[K], seed: int = 0, use_sambd: bool = False
) -> Dict[str, Any]:
    """Write nested few-shot subsets of a DocBin (and optionally their SamBD down-samplings).

    input_path (Path): the training .spacy file.
    output_dir (Path): receives k<K>.spacy (and k<K>-sambd.spacy) and sample.json.
    ks (Sequence[Union[int, str]]): subset sizes, "all" for every document.
    seed (int): the seed of the document permutation and of SamBD.
    use_sambd (bool): also write the SamBD down-sampling of each subset.
    RETURNS (Dict[str, Any]): the manifest written to sample.json (files, doc ids, label counts).
    """
    import srsly

    input_path, output_dir = Path(input_path), Path(output_dir)
    docs = read_docs(input_path)
    output_dir.mkdir(parents=True, exist_ok=True)
    manifest: Dict[str, Any] = {"input": str(input_path), "seed": seed, "n_docs": len(docs),
                                "labels": label_counts(docs), "subsets": {}}
    for k, subset in nested_subsets(docs, ks, seed=seed).items():
        path = output_dir / f"k{k}.spacy"
        _write(subset, path, few_shot={"k": k, "seed": seed})
        entry: Dict[str, Any] = {
            "file": path.name,
            "n_docs": len(subset),
            "doc_ids": [get_meta(d, "doc_id", "") for d in subset],
            "labels": label_counts(subset),
        }
        if use_sambd:
            kept, report = sambd(subset, seed=seed)
            sambd_path = output_dir / f"k{k}-sambd.spacy"
            _write(kept, sambd_path, few_shot={"k": k, "seed": seed}, sambd=True)
            entry["sambd"] = {"file": sambd_path.name, **report}
        manifest["subsets"][k] = entry
    srsly.write_json(output_dir / "sample.json", manifest)
    return manifest
