"""The English source model's training data: E3C-en, optionally enlarged with other corpora.

NCBI-disease, BC5CDR and NeuroTrialNER annotate DISORDER (and DRUG) but not ANATOMY; their Docs
keep their annotated_labels metadata through the merge, so the partial-label training of the
clinner_ner component treats ANATOMY there as unknown, not as "outside".
Dev stays the E3C-en dev split: the model is chosen for the labels and text type of the target.
"""
from pathlib import Path
from typing import Dict, List, Sequence, Union

from spacy.tokens import DocBin
from spacy.vocab import Vocab


def merge_docbins(paths: Sequence[Union[str, Path]], output: Union[str, Path]) -> int:
    """Concatenate DocBins (user data kept) into one file.

    paths (Sequence[Union[str, Path]]): input .spacy files, in order.
    output (Union[str, Path]): the merged .spacy file.
    RETURNS (int): the number of documents written.
    """
    vocab = Vocab()
    merged = DocBin(store_user_data=True)
    for path in paths:
        if not Path(path).is_file():
            raise FileNotFoundError(f"{path}: no such DocBin (run the convert command first)")
        for doc in DocBin(store_user_data=True).from_disk(path).get_docs(vocab):
            merged.add(doc)
    Path(output).parent.mkdir(parents=True, exist_ok=True)
    merged.to_disk(output)
    return len(merged)


def build_source_data(
    *,
    corpus_dir: Union[str, Path],
    corpora: Sequence[str],
    dev_corpus: str,
    output_dir: Union[str, Path],
) -> Dict[str, int]:
    """Write <output_dir>/train.spacy (all corpora's train splits) and dev.spacy (dev_corpus's dev).

    corpus_dir (Union[str, Path]): folder of converted corpora (<name>/{train,dev}.spacy).
    corpora (Sequence[str]): corpus names whose train splits are merged, e.g. ["e3c-en", "ncbi-disease"].
    dev_corpus (str): the corpus whose dev split selects the model.
    output_dir (Union[str, Path]): the output folder.
    RETURNS (Dict[str, int]): documents written per split.
    """
    names: List[str] = list(dict.fromkeys(corpora))  # keep order, drop repeats
    if not names:
        raise ValueError("no source corpora given")
    corpus_dir, output_dir = Path(corpus_dir), Path(output_dir)
    inputs = {
        "train": [corpus_dir / name / "train.spacy" for name in names],
        "dev": [corpus_dir / dev_corpus / "dev.spacy"],
    }
    # every input is looked for before the first output is written
    for path in inputs["train"] + inputs["dev"]:
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no such DocBin (run the convert command first)")
    return {split: merge_docbins(paths, output_dir / f"{split}.spacy") for split, paths in inputs.items()}
