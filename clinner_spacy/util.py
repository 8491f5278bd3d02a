"""Small helpers shared across concerns (logging, metadata kept on Docs)."""
import logging
from typing import Any, Dict, Iterable, Optional

from spacy.tokens import Doc

LOGGER_NAME = "clinner_spacy"
logger = logging.getLogger(LOGGER_NAME)

# Metadata lives in doc.user_data rather than in Doc._ extensions: DocBin(store_user_data=True)
# round-trips it, and a reader of the .spacy files needs no extension registered first.
META_KEY = "clinner"


def set_meta(doc: Doc, **values: Any) -> Doc:
    """Merge values into the clinner metadata of a Doc (corpus, doc_id, lang, split, ...).

    doc (Doc): the document to annotate.
    RETURNS (Doc): the same document, for chaining.
    """
    meta = doc.user_data.setdefault(META_KEY, {})
    meta.update(values)
    return doc


def get_meta(doc: Doc, key: Optional[str] = None, default: Any = None) -> Any:
    """Read the clinner metadata of a Doc, or one key of it."""
    meta: Dict[str, Any] = doc.user_data.get(META_KEY, {})
    if key is None:
        return dict(meta)
    return meta.get(key, default)


def annotated_labels(doc: Doc, all_labels: Iterable[str]) -> set:
    """Labels that the document's corpus really annotates.

    A corpus annotating only DISORDER says nothing about DRUG: training treats DRUG as unknown
    there, not as "outside". Docs without the metadata are taken to annotate every label.
    """
    labels = get_meta(doc, "annotated_labels")
    return set(all_labels) if labels is None else set(labels)
