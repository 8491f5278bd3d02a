"""Write the unlabelled dialogues as one DocBin for pseudo-labelling (`clinner convert-raw-dialogue`).

Docs carry no entity annotation (every token missing, annotated_labels empty), so a DocBin
handed to training by mistake teaches nothing rather than "no entities here".
"""
from collections import Counter
from pathlib import Path
from typing import Dict, Iterable, Optional, Union

import spacy
from spacy.tokens import DocBin

from ..progress import Progress
from ..util import set_meta
from .io import read_jsonl_dialogues
from .raw_collect import SOURCES, collect_raw_dialogues

CORPUS = "dialogue-raw"


def gold_texts(gold_dir: Union[str, Path]) -> Iterable[str]:
    """Texts of every *.jsonl file in the gold folder (train.jsonl, dev.jsonl, ...)."""
    for path in sorted(Path(gold_dir).glob("*.jsonl")):
        for dialogue in read_jsonl_dialogues(path):
            yield dialogue.text


def convert_raw_dialogue(
    *,
    data_dir: Union[str, Path],
    output: Union[str, Path],
    sources: Iterable[str] = SOURCES,
    aci_format: str = "csv",
    exclude: str = "candidates",
    gold_dir: Optional[Union[str, Path]] = None,
    lang: str = "en",
    show_progress: Optional[bool] = None,
) -> Dict[str, Counter]:
    """Collect the raw dialogues and write them as a DocBin.

    data_dir (Union[str, Path]): ../shared/data/dialogue/raw.
    output (Union[str, Path]): the .spacy file to write.
    sources (Iterable[str]): which raw corpora to read (mts_dialog, aci_bench, primock57).
    aci_format (str): "csv" or "json" for ACI-Bench.
    exclude (str): "candidates" holds out every MTS-Dialog training row that could be gold
        (see dialogue/raw_collect.py), "none" keeps them.
    gold_dir (Optional[Union[str, Path]]): a folder of gold JSONL files whose texts are held out too.
    lang (str): language of the blank tokenizer.
    show_progress (Optional[bool]): progress bar; None shows it on a terminal only.
    RETURNS (Dict[str, Counter]): per source: read, kept, empty, duplicate, gold_candidate,
        excluded_text, and the characters and tokens kept.
    """
    exclude_texts = list(gold_texts(gold_dir)) if gold_dir is not None else []
    dialogues, counts = collect_raw_dialogues(
        data_dir, sources=list(sources), aci_format=aci_format, exclude=exclude, exclude_texts=exclude_texts
    )
    nlp = spacy.blank(lang)
    docbin = DocBin(store_user_data=True)
    with Progress(len(dialogues), desc="tokenize", unit="dialogue", enabled=show_progress) as progress:
        for dialogue in dialogues:
            doc = nlp.make_doc(dialogue.text)
            set_meta(
                doc, corpus=CORPUS, doc_id=dialogue.dialogue_id, lang=lang, split="raw",
                annotated_labels=[], source_corpus=dialogue.corpus, source=dialogue.source,
            )
            docbin.add(doc)
            counts[dialogue.corpus]["chars"] += len(dialogue.text)
            counts[dialogue.corpus]["tokens"] += len(doc)
            progress.update(1)
    Path(output).parent.mkdir(parents=True, exist_ok=True)
    docbin.to_disk(output)
    return counts
