"""Corpus names -> reader, labelmap and data folder.

Readers are named by dotted path and imported only when a corpus is read, so this module
imports even while a reader module is missing (and `clinner convert` names the missing one).
Split options (dev_fraction, test_fraction, seed) are passed to a reader only if its signature
takes them: corpora with official splits ignore them.
"""
import importlib
import inspect
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

from .base import ErrorHandler, RawDocument


@dataclass(frozen=True)
class CorpusSpec:
    """How to read one corpus.

    name (str): the corpus name used on the command line and in the output folder.
    reader (str): "module:function", the reader; called as reader(data_dir / subdir, **options).
    labelmap (str): the labelmap name (corpora/labelmaps/<labelmap>.json).
    subdir (str): the corpus folder inside the shared data folder.
    lang (str): the language code.
    options (Dict[str, Any]): fixed keyword arguments for the reader (e.g. lang, layer).
    splits (str): how the corpus's splits are made, written into the conversion report.
    expected_splits (Tuple[str, ...]): the splits a conversion must fill; one left empty is an
        error unless --allow-empty.
    carved_splits (Tuple[str, ...]): those of them carved by --dev-fraction / --test-fraction
        (expected only while their fraction is above 0).
    """

    name: str
    reader: str
    labelmap: str
    subdir: str
    lang: str
    options: Dict[str, Any] = field(default_factory=dict)
    splits: str = "official splits"
    expected_splits: Tuple[str, ...] = ("train", "dev", "test")
    carved_splits: Tuple[str, ...] = ()

    def splits_expected(self, *, dev_fraction: float, test_fraction: float) -> List[str]:
        """RETURNS (List[str]): the splits that must not come out empty with these fractions."""
        fractions = {"dev": dev_fraction, "test": test_fraction}
        return [s for s in self.expected_splits if s not in self.carved_splits or fractions.get(s, 0) > 0]

    def load_reader(self) -> Callable[..., Iterator[RawDocument]]:
        module, _, func = self.reader.partition(":")
        try:
            return getattr(importlib.import_module(module), func)
        except (ImportError, AttributeError) as err:
            raise RuntimeError(f"reader {self.reader} for corpus {self.name!r} is not available: {err}") from err


def _e3c(lang: str, layer: int) -> CorpusSpec:
    suffix = "" if layer == 1 else "-silver"
    return CorpusSpec(
        name=f"e3c-{lang}{suffix}",
        reader="clinner_spacy.corpora.e3c:read_e3c",
        labelmap=f"e3c{suffix}",
        subdir="e3c",
        lang=lang,
        options={"lang": lang, "layer": layer},
        splits=(
            "official train/test (documentation/train_test_split.txt); dev carved from train by document"
            if layer == 1
            else "layer 2 is silver training data: every document is in train"
        ),
        expected_splits=("train", "dev", "test") if layer == 1 else ("train",),
        carved_splits=("dev",) if layer == 1 else (),
    )


# DisTEMIST, SympTEMIST and MedProcNER share their texts and their carve (see spaccc.py).
_SPACCC_SPLITS = (
    "no public dev/test gold: test and dev carved by document from the 750 training texts, "
    "one carve shared by distemist, symptemist and medprocner"
)
_SPECS = [_e3c(lang, layer) for layer in (1, 2) for lang in ("en", "es", "fr")] + [
    CorpusSpec("distemist", "clinner_spacy.corpora.spaccc:read_distemist", "distemist", "spaccc", "es", splits=_SPACCC_SPLITS,
               carved_splits=("dev", "test")),
    CorpusSpec("symptemist", "clinner_spacy.corpora.spaccc:read_symptemist", "symptemist", "spaccc", "es", splits=_SPACCC_SPLITS,
               carved_splits=("dev", "test")),
    CorpusSpec("medprocner", "clinner_spacy.corpora.spaccc:read_medprocner", "medprocner", "spaccc", "es", splits=_SPACCC_SPLITS,
               carved_splits=("dev", "test")),
    CorpusSpec("pharmaconer", "clinner_spacy.corpora.spaccc:read_pharmaconer", "pharmaconer", "spaccc/pharmaconer", "es", splits="official train/dev/test"),
    # Readers written in corpora/conll.py, neurotrialner.py and dialogue_gold.py.
    CorpusSpec("ncbi-disease", "clinner_spacy.corpora.conll:read_ncbi_disease", "ncbi-disease", "ncbi_disease", "en"),
    CorpusSpec("bc5cdr", "clinner_spacy.corpora.conll:read_bc5cdr", "bc5cdr", "bc5cdr", "en"),
    CorpusSpec("neurotrialner", "clinner_spacy.corpora.neurotrialner:read_neurotrialner", "neurotrialner", "neurotrialner", "en"),
    # the dialogue test set is kept apart (dialogue_gold.py): train and dev only
    CorpusSpec("dialogue-gold", "clinner_spacy.corpora.dialogue_gold:read_dialogue_gold", "dialogue-gold", "dialogue/gold", "en",
               expected_splits=("train", "dev")),
]
CORPORA: Dict[str, CorpusSpec] = {spec.name: spec for spec in _SPECS}
SPLIT_OPTIONS = ("dev_fraction", "test_fraction", "seed")


def get_corpus(name: str) -> CorpusSpec:
    """Look up a corpus by name, with the known names in the error."""
    if name not in CORPORA:
        raise KeyError(f"unknown corpus {name!r}; known: {', '.join(CORPORA)}")
    return CORPORA[name]


def read_corpus(
    spec: CorpusSpec, data_dir: Path, *, on_error: Optional[ErrorHandler] = None, **split_options: Any
) -> Iterator[RawDocument]:
    """Run a corpus's reader on the shared data folder.

    spec (CorpusSpec): the corpus.
    data_dir (Path): the shared data folder (with e3c/, spaccc/, ...).
    on_error (Optional[ErrorHandler]): per-document error handler, for readers that take one
        (the others raise every error).
    split_options: dev_fraction, test_fraction, seed; passed where the reader accepts them.
    RETURNS (Iterator[RawDocument]): the documents.
    """
    reader = spec.load_reader()
    accepted = inspect.signature(reader).parameters
    kwargs = dict(spec.options)
    kwargs.update({k: v for k, v in split_options.items() if k in accepted and k in SPLIT_OPTIONS})
    if on_error is not None and "on_error" in accepted:
        kwargs["on_error"] = on_error
    return reader(Path(data_dir) / spec.subdir, **kwargs)


def split_options_used(spec: CorpusSpec) -> Dict[str, bool]:
    """Which split options the corpus's reader takes (i.e. which of its splits are carved)."""
    accepted = inspect.signature(spec.load_reader()).parameters
    return {k: k in accepted for k in SPLIT_OPTIONS}
