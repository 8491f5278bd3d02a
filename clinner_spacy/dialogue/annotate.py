"""Annotate dialogue files with a pipeline: JSONL with exact character offsets, displaCy HTML.

Offsets in the output index the dialogue's text exactly as read (spaCy never changes a Doc's
text), and each record carries that text, so text[start:end] is the mention. For .txt input
the record also says where the dialogue starts in the file.
"""
import warnings
from pathlib import Path
from typing import Any, Dict, List, Optional, Union

import srsly
from spacy import displacy
from spacy.language import Language
from spacy.tokens import Doc

from ..checks import check_input_file, check_not_empty, check_output_files
from ..progress import Progress
from ..schema import ANATOMY, DISORDER, DRUG, PROCEDURE
from ..util import get_meta
from .io import SUFFIXES, DialogueInput, read_dialogues

TURNS_FACTORY = "clinner_dialogue_turns"
GUARD_FACTORY = "clinner_speaker_guard"
COLORS = {DISORDER: "#f4a3a3", ANATOMY: "#a3c9f4", DRUG: "#a8e6a3", PROCEDURE: "#e6d3a3"}


def ensure_dialogue_components(nlp: Language) -> List[str]:
    """Add clinner_dialogue_turns first and clinner_speaker_guard last, where missing.

    A pipeline trained on written notes (the zero-shot source model) has neither; the guard
    only ever removes prefix tokens from entities, so adding it never needs retraining.

    nlp (Language): the pipeline, changed in place.
    RETURNS (List[str]): names of the components added.
    """
    factories = {nlp.get_pipe_meta(name).factory for name in nlp.pipe_names}
    added = []
    if TURNS_FACTORY not in factories:
        nlp.add_pipe(TURNS_FACTORY, name="dialogue_turns", first=True)
        added.append("dialogue_turns")
    if GUARD_FACTORY not in factories:
        nlp.add_pipe(GUARD_FACTORY, name="speaker_guard", last=True)
        added.append("speaker_guard")
    return added


def load_pipeline(model: Union[str, Path]) -> Language:
    """spacy.load, with an error that names the pipeline when it cannot be found or read.

    model (Union[str, Path]): a package name or a pipeline directory.
    RETURNS (Language): the pipeline.
    """
    import spacy

    try:
        return spacy.load(model)
    except OSError as err:
        raise FileNotFoundError(f"cannot load the pipeline {str(model)!r}: {err}") from None


def doc_record(doc: Doc, dialogue: DialogueInput) -> Dict[str, Any]:
    """The output record of one annotated dialogue.

    doc (Doc): the annotated doc.
    dialogue (DialogueInput): what was read (id, file offset, extra fields).
    RETURNS (Dict[str, Any]): {"id", "text", "entities": [[start, end, label]], "speakers", ...},
        entities in the gold JSONL format; input "entities" are kept as "input_entities".
    """
    if doc.text != dialogue.text:  # cannot happen with spaCy tokenizers; a guard for custom ones
        raise ValueError(f"dialogue {dialogue.dialogue_id}: the pipeline changed the text")
    record: Dict[str, Any] = {"id": dialogue.dialogue_id, "text": doc.text}
    record["entities"] = [[ent.start_char, ent.end_char, ent.label_] for ent in doc.ents]
    if "speakers" in doc.spans:
        record["speakers"] = [[s.start_char, s.end_char, s.label_] for s in doc.spans["speakers"]]
    if dialogue.file_offset:
        record["file_offset"] = dialogue.file_offset
    guard = get_meta(doc, "speaker_guard")
    if guard:
        record["speaker_guard"] = guard
    for key, value in dialogue.extra.items():
        if key == "doc":
            continue
        record["input_entities" if key == "entities" else key] = value
    return record


def annotate_dialogues(
    *,
    input_path: Union[str, Path],
    model: Union[str, Path, Language],
    output: Union[str, Path],
    html: Optional[Union[str, Path]] = None,
    html_limit: int = 200,
    add_components: bool = True,
    batch_size: int = 8,
    show_progress: Optional[bool] = None,
    force: bool = False,
    allow_empty: bool = False,
) -> Dict[str, int]:
    """Run a pipeline over a dialogue file; write JSONL (and an HTML view).

    input_path (Union[str, Path]): .jsonl ("text", "id"), .txt (blank-line-separated) or .spacy.
    model (Union[str, Path, Language]): the pipeline, or its name or path for spacy.load.
    output (Union[str, Path]): the JSONL file to write.
    html (Optional[Union[str, Path]]): where to write a displaCy page, or None.
    html_limit (int): at most this many dialogues on the page (the first ones).
    add_components (bool): add the dialogue components where the pipeline lacks them.
    batch_size (int): dialogues per nlp.pipe batch.
    show_progress (Optional[bool]): progress bar; None shows it on a terminal only.
    force (bool): overwrite output and html if they exist (never the input).
    allow_empty (bool): accept an input without dialogues (and write an empty output).
    RETURNS (Dict[str, int]): counts of dialogues, entities per label, guard trims and removals.
    """
    from spacy.vocab import Vocab

    # Everything about the files is checked before the pipeline loads (which takes seconds).
    input_path = check_input_file(input_path, suffixes=SUFFIXES, what="dialogue file")
    check_output_files([output, html], inputs=[input_path], force=force)
    dialogues = list(read_dialogues(input_path, vocab=Vocab()))
    check_not_empty(len(dialogues), input_path, allow_empty=allow_empty, unit="dialogues")
    nlp = model if isinstance(model, Language) else load_pipeline(model)
    if add_components:
        ensure_dialogue_components(nlp)
    if input_path.suffix.lower() == ".spacy":  # the Docs again, in the pipeline's vocab
        dialogues = list(read_dialogues(input_path, vocab=nlp.vocab))
    inputs = [d.extra.get("doc") or d.text for d in dialogues]
    stats: Dict[str, int] = {"dialogues": 0, "entities": 0, "guard_trimmed": 0, "guard_removed": 0}
    shown: List[Doc] = []
    records = []
    with Progress(len(dialogues), desc="annotate", unit="dialogue", enabled=show_progress) as progress:
        for dialogue, doc in zip(dialogues, nlp.pipe(inputs, batch_size=batch_size)):
            record = doc_record(doc, dialogue)
            records.append(record)
            stats["dialogues"] += 1
            stats["entities"] += len(record["entities"])
            for _, _, label in record["entities"]:
                stats[f"entities_{label}"] = stats.get(f"entities_{label}", 0) + 1
            guard = record.get("speaker_guard", {})
            stats["guard_trimmed"] += guard.get("trimmed", 0)
            stats["guard_removed"] += guard.get("removed", 0)
            if html is not None and len(shown) < html_limit:
                doc.user_data["title"] = dialogue.dialogue_id  # displaCy's per-doc heading
                shown.append(doc)
            progress.update(1)
    Path(output).parent.mkdir(parents=True, exist_ok=True)
    srsly.write_jsonl(output, records)
    if html is not None:
        with warnings.catch_warnings():
            # W006 "no entities to visualize" for each dialogue without any: expected, not news
            warnings.filterwarnings("ignore", message=r"\[W006\]")
            page = displacy.render(shown, style="ent", page=True, jupyter=False, options={"colors": COLORS})
        Path(html).parent.mkdir(parents=True, exist_ok=True)
        Path(html).write_text(page, encoding="utf-8")
        stats["html_dialogues"] = len(shown)
    return stats
