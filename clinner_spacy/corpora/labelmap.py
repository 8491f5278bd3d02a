"""Label mappings from upstream label names to the project schema, kept as data.

Each corpus has one JSON file in corpora/labelmaps/ (readable by a person): "map" sends an
upstream label to a schema label, "ignore" lists upstream labels dropped on purpose (and
counted), and any other label is an error, so that a new label upstream never slips through.
"""
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

from ..schema import LABELS
from .base import CorpusFormatError

LABELMAP_DIR = Path(__file__).parent / "labelmaps"


@dataclass
class LabelMap:
    """One corpus's label mapping, as read from its JSON file."""

    corpus: str
    map: Dict[str, str]
    ignore: List[str] = field(default_factory=list)
    annotated_labels: List[str] = field(default_factory=list)
    lang: str = ""
    license: str = ""
    notes: str = ""
    path: str = ""

    def __post_init__(self) -> None:
        for upstream, label in self.map.items():
            if label not in LABELS:
                raise CorpusFormatError(
                    self.path, f"map[{upstream!r}]", f"{label!r} is not a schema label {LABELS}"
                )
        for label in self.annotated_labels:
            if label not in LABELS:
                raise CorpusFormatError(
                    self.path, "annotated_labels", f"{label!r} is not a schema label {LABELS}"
                )

    def lookup(self, upstream: str, path: str, where: str) -> Optional[str]:
        """Map an upstream label to a schema label, or None when it is ignored.

        upstream (str): the label as the corpus file spells it.
        path (str): the corpus file, for the error message.
        where (str): the place in that file (line, element), for the error message.
        RETURNS (Optional[str]): the schema label, or None for an ignored label.
        """
        if upstream in self.map:
            return self.map[upstream]
        if upstream in self.ignore:
            return None
        raise CorpusFormatError(
            path,
            where,
            f"unknown label {upstream!r} for corpus {self.corpus!r}: add it to 'map' or "
            f"'ignore' in {self.path or 'its labelmap'}",
        )


def load_labelmap(name_or_path: str) -> LabelMap:
    """Load a labelmap by corpus name (a file in corpora/labelmaps/) or by path.

    name_or_path (str): e.g. "e3c", or a path to a JSON file.
    RETURNS (LabelMap): the mapping.
    """
    path = Path(name_or_path)
    if path.suffix != ".json":
        path = LABELMAP_DIR / f"{name_or_path}.json"
    if not path.exists():
        raise FileNotFoundError(f"no labelmap {path}")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise CorpusFormatError(path, f"line {err.lineno}", f"invalid JSON: {err.msg}") from None
    known = {"corpus", "map", "ignore", "annotated_labels", "lang", "license", "notes"}
    return LabelMap(**{k: v for k, v in data.items() if k in known}, path=str(path))
