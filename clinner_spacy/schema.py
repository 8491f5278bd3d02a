"""The project's one label schema.

Every corpus maps its upstream labels onto these (see corpora/labelmaps/*.json); a corpus
records which of them it annotates (util.annotated_labels), so that training can treat the
others as unknown.
"""
from typing import Tuple

DISORDER = "DISORDER"
ANATOMY = "ANATOMY"
DRUG = "DRUG"
PROCEDURE = "PROCEDURE"

LABELS: Tuple[str, ...] = (DISORDER, ANATOMY, DRUG, PROCEDURE)
