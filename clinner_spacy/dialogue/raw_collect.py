"""Collect the unlabelled dialogues of ../shared/data/dialogue/raw, de-duplicated, gold held out.

Two things make a plain concatenation wrong. ACI-Bench ships the same encounters several
times (challenge_data CSV and JSON, and again in src_experiment_data): we read one copy and
drop exact repeats by normalised text. And the gold dialogue set (train, dev and the hidden
test) was drawn from MTS-Dialog-TrainingSet.csv by a fixed rule (at least 4 speaker turns, at
most 2,500 characters, file order; gold/SOURCE.md), so self-training on those rows would put
the test dialogues' text into training: by default every row meeting that rule is held out.
"""
import re
from collections import Counter
from pathlib import Path
from typing import Dict, Iterable, Iterator, List, Tuple, Union

from ..util import logger
from .raw import RawDialogue, read_aci_bench_csv, read_aci_bench_json, read_mts_dialog_csv, read_primock57
from .turns import count_turns

SOURCES = ("mts_dialog", "aci_bench", "primock57")
GOLD_SOURCE_FILE = "MTS-Dialog-TrainingSet"
# The gold selection rule of gold/SOURCE.md; tests check it picks exactly the gold rows.
GOLD_MIN_TURNS = 4
GOLD_MAX_CHARS = 2500
EXCLUDE_POLICIES = ("candidates", "none")


def is_gold_candidate(dialogue: RawDialogue) -> bool:
    """Whether a dialogue could be in the gold train/dev/test sets (MTS-Dialog training file, rule met)."""
    if dialogue.corpus != "mts_dialog" or f":{GOLD_SOURCE_FILE}:" not in dialogue.dialogue_id:
        return False
    return len(dialogue.text) <= GOLD_MAX_CHARS and count_turns(dialogue.text) >= GOLD_MIN_TURNS


def dedup_key(text: str) -> str:
    """Text with case, punctuation and spacing removed: ACI-Bench copies differ only in those."""
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text.lower()).split())


def iter_source(data_dir: Path, source: str, *, aci_format: str = "csv") -> Iterator[RawDialogue]:
    """Read one raw source under data_dir (the dialogue/raw folder), files in sorted order.

    data_dir (Path): ../shared/data/dialogue/raw.
    source (str): one of SOURCES.
    aci_format (str): "csv" (data/challenge_data/*.csv) or "json" (data/challenge_data_json/*.json),
        the same 207 ACI-Bench encounters either way.
    YIELDS (RawDialogue): the dialogues of that source.
    """
    if source == "mts_dialog":
        for path in sorted((data_dir / "mts_dialog" / "Main-Dataset").glob("*.csv")):
            yield from read_mts_dialog_csv(path)
    elif source == "aci_bench":
        if aci_format == "json":
            for path in sorted((data_dir / "aci_bench" / "data" / "challenge_data_json").glob("*.json")):
                yield from read_aci_bench_json(path)
        elif aci_format == "csv":
            folder = data_dir / "aci_bench" / "data" / "challenge_data"
            for path in sorted(p for p in folder.glob("*.csv") if not p.stem.endswith("_metadata")):
                yield from read_aci_bench_csv(path)
        else:
            raise ValueError(f"aci_format must be 'csv' or 'json', not {aci_format!r}")
    elif source == "primock57":
        yield from read_primock57(data_dir / "primock57" / "transcripts")
    else:
        raise ValueError(f"unknown raw dialogue source {source!r}; expected one of {SOURCES}")


def collect_raw_dialogues(
    data_dir: Union[str, Path],
    *,
    sources: Iterable[str] = SOURCES,
    aci_format: str = "csv",
    exclude: str = "candidates",
    exclude_texts: Iterable[str] = (),
) -> Tuple[List[RawDialogue], Dict[str, Counter]]:
    """Read, de-duplicate and filter the raw dialogues.

    data_dir (Union[str, Path]): ../shared/data/dialogue/raw.
    sources (Iterable[str]): which of SOURCES to read.
    aci_format (str): "csv" or "json" for ACI-Bench.
    exclude (str): "candidates" holds out every MTS-Dialog training row that meets the gold
        selection rule; "none" keeps them.
    exclude_texts (Iterable[str]): further texts to hold out (e.g. the gold JSONL texts).
    RETURNS (Tuple[List[RawDialogue], Dict[str, Counter]]): the kept dialogues, and per source
        the counts read / kept / empty / duplicate / gold_candidate / excluded_text.
    """
    if exclude not in EXCLUDE_POLICIES:
        raise ValueError(f"exclude must be one of {EXCLUDE_POLICIES}, not {exclude!r}")
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise FileNotFoundError(f"raw dialogue folder not found: {data_dir}")
    dialogues = [(source, d) for source in sources for d in iter_source(data_dir, source, aci_format=aci_format)]
    # Held-out keys first, so a gold row's copy in another MTS-Dialog file is held out too.
    candidates = set()
    if exclude == "candidates":
        candidates = {dedup_key(d.text) for _, d in dialogues if is_gold_candidate(d)}
    held_out = {dedup_key(t) for t in exclude_texts}
    seen = set()
    kept: List[RawDialogue] = []
    counts: Dict[str, Counter] = {source: Counter() for source in sources}
    for source, dialogue in dialogues:
        key = dedup_key(dialogue.text)
        if not key:
            reason = "empty"
        elif key in candidates:
            reason = "gold_candidate"
        elif key in held_out:
            reason = "excluded_text"
        elif key in seen:
            reason = "duplicate"
        else:
            reason = "kept"
            seen.add(key)
            kept.append(dialogue)
        counts[source]["read"] += 1
        counts[source][reason] += 1
        if reason in ("empty", "duplicate"):
            logger.debug("raw dialogue %s skipped (%s) at %s", dialogue.dialogue_id, reason, dialogue.source)
    return kept, counts
