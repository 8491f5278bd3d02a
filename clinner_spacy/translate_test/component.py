"""clinner_translate_test: tag a target-language doc with an English pipeline, through translation.

Per batch of docs: the sentences of every doc (sentences.py) are translated in one translator
call (a CachedTranslator makes reruns free), each doc's translations are joined into one
English doc (the English model sees the whole text, as in training), the English pipeline
tags it, each sentence pair is word-aligned (align.py), and the English entities are mapped
onto the original tokens (mapping.py) and written to doc.ents. Everything given up is counted
in the doc's clinner metadata under "translate_test", and summed in `totals`.

`clinner translate-test` (run.py) uses the same class directly, with a translator and aligner
it builds itself; in a pipeline they come from the config ([components.x.translator] and
[components.x.aligner] blocks). The English pipeline is loaded in initialize (or on first use)
from `model`, and saved inside this component by to_disk, so a saved pipeline loads without it.
"""
from collections import Counter
from pathlib import Path
from typing import Any, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple

import spacy
import srsly
from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.util import minibatch

from ..translate.base import Translator
from ..util import logger, set_meta
from .align import Aligner
from .mapping import map_spans
from .sentences import content_tokens, sentence_ranges

DEFAULT_CONFIG = {
    "tgt_lang": "en",
    "translator": {"@misc": "clinner.ApertiumTranslator.v1"},
    "aligner": {"@misc": "clinner.SimAligner.v1"},
    "batch_size": 8,
}
ENGLISH_DIR = "english"
META_KEY = "translate_test"


@Language.factory("clinner_translate_test", assigns=["doc.ents"], default_config=DEFAULT_CONFIG)
def make_translate_test(
    nlp: Language,
    name: str,
    model: str,
    src_lang: str,
    tgt_lang: str,
    translator: Translator,
    aligner: Aligner,
    batch_size: int,
) -> "TranslateTest":
    """Create a clinner_translate_test component.

    model (str): the English NER pipeline (directory or package), loaded in initialize.
    src_lang (str): the language of the docs (ISO 639-1: es, fr).
    tgt_lang (str): the language of the English pipeline, "en".
    translator (Translator): a registered translator (clinner.ApertiumTranslator.v1,
        clinner.CachedTranslator.v1, ...).
    aligner (Aligner): clinner.SimAligner.v1 or clinner.LexicalAligner.v1.
    batch_size (int): docs translated and tagged together.
    """
    return TranslateTest(name, model=model, src_lang=src_lang, tgt_lang=tgt_lang, translator=translator,
                         aligner=aligner, batch_size=batch_size)


class TranslateTest:
    """Predicts doc.ents by translate-test; no weights of its own, nothing to train."""

    def __init__(
        self,
        name: str = "clinner_translate_test",
        *,
        model: str,
        src_lang: str,
        tgt_lang: str = "en",
        translator: Translator,
        aligner: Aligner,
        batch_size: int = 8,
        english: Optional[Language] = None,
    ):
        if batch_size < 1:
            raise ValueError(f"{name}: batch_size must be at least 1, got {batch_size}")
        self.name = name
        self.cfg: Dict[str, Any] = {"model": str(model), "src_lang": src_lang, "tgt_lang": tgt_lang,
                                    "batch_size": batch_size}
        self.translator = translator
        self.aligner = aligner
        self.english = english
        self.totals: Counter = Counter()

    def initialize(self, get_examples=None, *, nlp: Optional[Language] = None) -> None:
        """Load the English pipeline (nlp.initialize calls this)."""
        self.load_english()

    def load_english(self) -> Language:
        """RETURNS (Language): the English pipeline, loaded from cfg["model"] if not yet loaded."""
        if self.english is None:
            model = self.cfg["model"]
            if not Path(model).exists() and not spacy.util.is_package(model):
                raise FileNotFoundError(
                    f"{self.name}: English pipeline {model!r} not found (neither a folder nor an installed package)"
                )
            logger.info("%s: loading the English pipeline %s", self.name, model)
            self.english = spacy.load(model)
        return self.english

    def __call__(self, doc: Doc) -> Doc:
        return next(iter(self.pipe([doc])))

    def pipe(self, docs: Iterable[Doc], batch_size: Optional[int] = None) -> Iterator[Doc]:
        for batch in minibatch(docs, size=batch_size or self.cfg["batch_size"]):
            yield from self._process(list(batch))

    def _process(self, docs: List[Doc]) -> List[Doc]:
        english = self.load_english()
        ranges = [sentence_ranges(doc) for doc in docs]
        texts = [doc[s:e].text.strip() for doc, rs in zip(docs, ranges) for s, e in rs]
        translations = iter(self.translator.translate(texts, self.cfg["src_lang"], self.cfg["tgt_lang"]) if texts else [])
        # per doc: the English doc, and each sentence's English token range in it
        built: List[Tuple[Doc, List[Tuple[int, int]]]] = []
        for rs in ranges:
            parts, bounds, offset = [], [], 0
            for _ in rs:
                part = english.make_doc(next(translations).strip())
                bounds.append((offset, offset + len(part)))
                offset += len(part)
                if len(part):
                    parts.append(part)
            built.append((Doc.from_docs(parts, ensure_whitespace=True) if parts else english.make_doc(""), bounds))
        tagged = list(english.pipe([en for en, _ in built]))
        # one aligner call for the batch; per sentence the content tokens (global indices) of
        # both sides, so that local alignment pairs can be turned back into doc positions
        sentences: List[Tuple[int, List[int], List[int]]] = []
        for d, (doc, rs, en, (_, bounds)) in enumerate(zip(docs, ranges, tagged, built)):
            for (s, e), (es, ee) in zip(rs, bounds):
                sentences.append((d, content_tokens(doc, s, e), content_tokens(en, es, ee)))
        alignments = self.aligner.align([
            ([docs[d][i].text for i in orig], [tagged[d][j].text for j in en]) for d, orig, en in sentences
        ])
        if len(alignments) != len(sentences):
            raise ValueError(f"{self.name}: the aligner returned {len(alignments)} alignments for {len(sentences)} sentences")
        pairs: List[List[Tuple[int, int]]] = [[] for _ in docs]
        for (d, orig, en), local in zip(sentences, alignments):
            pairs[d].extend((orig[i], en[j]) for i, j in local)
        for doc, rs, en, (_, bounds), doc_pairs in zip(docs, ranges, tagged, built, pairs):
            self._set_entities(doc, en, doc_pairs, n_sentences=len(rs),
                               empty=sum(1 for es, ee in bounds if es == ee))
        return docs

    def _set_entities(self, doc: Doc, en: Doc, pairs: List[Tuple[int, int]], *, n_sentences: int, empty: int) -> None:
        mapped = map_spans([(ent.start, ent.end, ent.label_) for ent in en.ents], pairs)
        doc.set_ents([Span(doc, s, e, label=label) for s, e, label in mapped.spans], default="outside")
        aligned_orig = {i for i, _ in pairs}
        stats = {
            "sentences": n_sentences,
            "empty_translations": empty,
            "english_entities": len(en.ents),
            **mapped.counts(),
            "tokens": sum(1 for t in doc if not t.is_space),
            "tokens_aligned": len(aligned_orig),
        }
        set_meta(doc, **{META_KEY: stats})
        self.totals.update(stats)
        self.totals["docs"] += 1

    def to_disk(self, path, *, exclude: Sequence[str] = ()) -> None:
        """Save the settings and the English pipeline (so the saved pipeline needs no `model`)."""
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        srsly.write_json(path / "cfg.json", self.cfg)
        self.load_english().to_disk(path / ENGLISH_DIR)

    def from_disk(self, path, *, exclude: Sequence[str] = ()) -> "TranslateTest":
        path = Path(path)
        if (path / "cfg.json").is_file():
            self.cfg.update(srsly.read_json(path / "cfg.json"))
        if (path / ENGLISH_DIR).is_dir():
            self.english = spacy.load(path / ENGLISH_DIR)
        return self
