"""Readers for the unlabelled doctor-patient dialogues (MTS-Dialog, ACI-Bench, PriMock57).

Each reader turns one upstream file into RawDialogue objects: an id that names the corpus,
file and row, the dialogue text with speaker prefixes, and the place it came from. The text is
kept exactly as upstream gives it (MTS-Dialog CRLFs, ACI-Bench " , " spacing), except for
PriMock57, whose per-speaker TextGrid utterances are collated into "Doctor: ..." lines.
Selection and de-duplication across files live in dialogue/raw_collect.py.
"""
import csv
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, List, Tuple, Union

from ..corpora.base import CorpusFormatError

# MTS-Dialog and ACI-Bench dialogues run to tens of kilobytes in one CSV cell.
csv.field_size_limit(10**8)


@dataclass(frozen=True)
class RawDialogue:
    """One unlabelled dialogue.

    dialogue_id (str): "corpus:file:row", unique across the raw collection.
    text (str): the dialogue with its speaker prefixes.
    corpus (str): "mts_dialog", "aci_bench" or "primock57".
    source (str): file and place, for reports and error messages.
    """

    dialogue_id: str
    text: str
    corpus: str
    source: str


def _csv_rows(path: Path, text_column: str, id_columns: Tuple[str, ...]) -> Iterator[Tuple[int, str, str]]:
    with Path(path).open(newline="", encoding="utf-8") as fileh:
        reader = csv.DictReader(fileh)
        fields = reader.fieldnames or []
        id_column = next((c for c in id_columns if c in fields), None)
        if text_column not in fields or id_column is None:
            raise CorpusFormatError(
                path, "line 1", f"expected columns {text_column!r} and one of {id_columns}, found {fields}"
            )
        for row in reader:
            # reader.line_num is the physical line where the row ends (cells hold newlines)
            yield reader.line_num, row[id_column], row[text_column] or ""


def read_mts_dialog_csv(path: Union[str, Path]) -> Iterator[RawDialogue]:
    """Read an MTS-Dialog CSV (columns ID, section_header, section_text, dialogue).

    path (Union[str, Path]): e.g. Main-Dataset/MTS-Dialog-TrainingSet.csv.
    YIELDS (RawDialogue): one per row, the `dialogue` column unchanged.
    """
    path = Path(path)
    for line, row_id, text in _csv_rows(path, "dialogue", ("ID",)):
        yield RawDialogue(f"mts_dialog:{path.stem}:{row_id}", text, "mts_dialog", f"{path}:{line}")


def read_aci_bench_csv(path: Union[str, Path]) -> Iterator[RawDialogue]:
    """Read an ACI-Bench CSV (columns dataset, encounter_id or id, dialogue, note).

    path (Union[str, Path]): e.g. data/challenge_data/train.csv.
    YIELDS (RawDialogue): one per row, the `dialogue` column unchanged.
    """
    path = Path(path)
    for line, row_id, text in _csv_rows(path, "dialogue", ("encounter_id", "id")):
        yield RawDialogue(f"aci_bench:{path.stem}:{row_id}", text, "aci_bench", f"{path}:{line}")


def read_aci_bench_json(path: Union[str, Path]) -> Iterator[RawDialogue]:
    """Read an ACI-Bench JSON file ({"data": [{"src": dialogue, "tgt": note, "file": id}]}).

    path (Union[str, Path]): e.g. data/challenge_data_json/train.json.
    YIELDS (RawDialogue): one per record, `src` unchanged.
    """
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise CorpusFormatError(path, f"line {err.lineno}", f"invalid JSON: {err.msg}") from err
    records = data.get("data") if isinstance(data, dict) else None
    if not isinstance(records, list):
        raise CorpusFormatError(path, "top level", 'expected an object with a "data" list')
    for i, record in enumerate(records):
        if not isinstance(record, dict) or not isinstance(record.get("src"), str):
            raise CorpusFormatError(path, f"data[{i}]", 'expected an object with a "src" string')
        file_id = str(record.get("file", i))
        yield RawDialogue(f"aci_bench:{path.stem}:{file_id}", record["src"], "aci_bench", f"{path}:data[{i}]")


_INTERVAL = re.compile(
    r'xmin = (?P<xmin>[-\d.eE]+)\s*\r?\n\s*xmax = (?P<xmax>[-\d.eE]+)\s*\r?\n\s*text = "(?P<text>(?:[^"]|"")*)"'
)
_SIZE = re.compile(r"intervals: size = (\d+)")
# Transcriber tags, as upstream's scripts/utils.py strip_transcript_tags removes them.
_TAGS = re.compile(r"</?UNSURE>|<UNIN/>|<INAUDIBLE_SPEECH/>")


def read_textgrid_utterances(path: Union[str, Path]) -> List[Tuple[float, str]]:
    """Read the non-empty utterances of a Praat TextGrid (long text format, interval tiers).

    path (Union[str, Path]): the .TextGrid file.
    RETURNS (List[Tuple[float, str]]): (start time, text without transcriber tags) per utterance.
    """
    path = Path(path)
    content = path.read_text(encoding="utf-8")
    if 'Object class = "TextGrid"' not in content:
        raise CorpusFormatError(path, "line 2", 'not a Praat TextGrid (no Object class = "TextGrid")')
    intervals = list(_INTERVAL.finditer(content))
    declared = sum(int(n) for n in _SIZE.findall(content))
    if declared != len(intervals):
        raise CorpusFormatError(
            path, f"line {content.count(chr(10), 0, intervals[-1].end()) + 1 if intervals else 1}",
            f"tiers declare {declared} intervals but {len(intervals)} could be read",
        )
    utterances = []
    for match in intervals:
        text = " ".join(_TAGS.sub("", match.group("text").replace('""', '"')).split())
        if text:
            utterances.append((float(match.group("xmin")), text))
    return utterances


def read_primock57(transcripts_dir: Union[str, Path]) -> Iterator[RawDialogue]:
    """Collate PriMock57 consultations from their doctor and patient TextGrids.

    Utterances are ordered by start time and written one per line as "Doctor: ..." or
    "Patient: ...", as upstream's scripts/textgrid_to_transcript.py does.

    transcripts_dir (Union[str, Path]): primock57/transcripts.
    YIELDS (RawDialogue): one per consultation, id "primock57:<consultation>".
    """
    transcripts_dir = Path(transcripts_dir)
    for doctor_path in sorted(transcripts_dir.glob("*_doctor.TextGrid")):
        consultation = doctor_path.name[: -len("_doctor.TextGrid")]
        patient_path = transcripts_dir / f"{consultation}_patient.TextGrid"
        if not patient_path.exists():
            raise CorpusFormatError(doctor_path, "file", f"no matching patient transcript {patient_path.name}")
        lines = [(t, "Doctor", u) for t, u in read_textgrid_utterances(doctor_path)]
        lines += [(t, "Patient", u) for t, u in read_textgrid_utterances(patient_path)]
        lines.sort(key=lambda item: item[0])
        text = "\n".join(f"{speaker}: {utterance}" for _, speaker, utterance in lines)
        yield RawDialogue(f"primock57:{consultation}", text, "primock57", str(doctor_path))
