"""What `clinner heads` measures beside span F1: Belkadi et al.'s token-level scores, inference
speed and parameter counts.

Token level (Belkadi et al. 2023, arXiv 2210.12770, their TransformerCRF code): every token is one
sample whose class is its BIO tag, "B-X" and "I-X" separate classes and "O" a class too; precision,
recall and F1 per class as scikit-learn's classification_report computes them (zero where
undefined), then averaged over the classes present in gold or prediction, unweighted (macro) and
by gold support (weighted). Their code scores sub-word tokens; here the tokens are spaCy's, of
the gold test documents. "O" is most tokens, so the weighted average is high whatever the spans
are, and a boundary error of one token costs one token, not a whole entity: the numbers do not
compare with span F1 (docs/crf.md, "Comparing heads").

This module lives in project/ rather than evaluation/ on purpose: evaluation/ is part of the
code stamp of every training run (project/signature.py CODE_PARTS), and an addition there would
make every trained model of the main plan stale.
"""
import statistics
import time
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

import numpy
from spacy.language import Language
from spacy.tokens import Doc
from thinc.api import Model

from ..evaluation.spans import DocSpans
from ..models.feature_cache import FeatureCache
from ..models.features import CACHE_ATTR

SPEED_BATCH = 8  # nlp.pipe batch size of the timed passes
SPEED_REPEATS = 3  # timed passes; the median is reported


def bio_tags(doc: Doc, spans: Iterable[Tuple[int, int, str]]) -> List[str]:
    """BIO tags of a doc's tokens for (start_char, end_char, label) spans on its text.

    doc (Doc): the gold document (the spans of evaluation/spans.py are on its tokens).
    spans (Iterable[Tuple[int, int, str]]): non-overlapping spans.
    RETURNS (List[str]): one tag per token.
    """
    tags = ["O"] * len(doc)
    for start, end, label in sorted(spans):
        span = doc.char_span(start, end, alignment_mode="expand")
        if span is None:
            raise ValueError(f"span {start}-{end} ({label}) is not within the document's text")
        for i in range(span.start, span.end):
            tags[i] = ("B-" if i == span.start else "I-") + label
    return tags


def token_prf(gold: Sequence[str], pred: Sequence[str]) -> Dict[str, object]:
    """Per-class and averaged P/R/F1 over flattened token tags (classification_report's rules).

    gold (Sequence[str]): gold tags, one per token.
    pred (Sequence[str]): predicted tags, aligned with gold.
    RETURNS (Dict[str, object]): per_class {tag: {p, r, f, support}}, macro and weighted {p, r, f},
        accuracy (= micro P = R = F1, since every token has exactly one class) and n_tokens.
    """
    if len(gold) != len(pred):
        raise ValueError(f"{len(gold)} gold tags but {len(pred)} predicted ones")
    classes = sorted(set(gold) | set(pred))
    index = {c: i for i, c in enumerate(classes)}
    g = numpy.asarray([index[t] for t in gold], dtype=numpy.int64)
    p = numpy.asarray([index[t] for t in pred], dtype=numpy.int64)
    n = len(classes)
    tp = numpy.bincount(g[g == p], minlength=n).astype(float)
    support = numpy.bincount(g, minlength=n).astype(float)
    predicted = numpy.bincount(p, minlength=n).astype(float)
    prec = numpy.divide(tp, predicted, out=numpy.zeros(n), where=predicted > 0)
    rec = numpy.divide(tp, support, out=numpy.zeros(n), where=support > 0)
    denom = prec + rec
    f = numpy.divide(2 * prec * rec, denom, out=numpy.zeros(n), where=denom > 0)
    total = support.sum()

    def avg(weights: Optional[numpy.ndarray]) -> Dict[str, float]:
        if not n or (weights is not None and weights.sum() == 0):
            return {"p": 0.0, "r": 0.0, "f": 0.0}
        return {k: float(numpy.average(v, weights=weights)) for k, v in (("p", prec), ("r", rec), ("f", f))}

    return {
        "per_class": {c: {"p": float(prec[i]), "r": float(rec[i]), "f": float(f[i]), "support": int(support[i])}
                      for i, c in enumerate(classes)},
        "macro": avg(None),
        "weighted": avg(support),
        "accuracy": float(tp.sum() / total) if total else 0.0,
        "n_tokens": int(total),
    }


def belkadi_token_scores(gold_docs: Sequence[Doc], scored: Sequence[DocSpans]) -> Dict[str, object]:
    """Belkadi et al.'s token-level scores of scored documents, on the gold documents' tokens.

    gold_docs (Sequence[Doc]): the gold documents, in the order of scored.
    scored (Sequence[DocSpans]): their gold and predicted spans after the span scorer's rules
        (label restriction, labels a corpus does not annotate, predictions on missing annotation).
    RETURNS (Dict[str, object]): token_prf's output, with the measure's name and a note.
    """
    if len(gold_docs) != len(scored):
        raise ValueError(f"{len(gold_docs)} gold documents but {len(scored)} scored ones")
    gold_tags, pred_tags = [], []
    for doc, spans in zip(gold_docs, scored):
        keep = [token.ent_iob != 0 for token in doc]  # tokens without gold annotation score nothing
        gold_tags += [t for t, k in zip(bio_tags(doc, spans.gold), keep) if k]
        pred_tags += [t for t, k in zip(bio_tags(doc, spans.pred), keep) if k]
    return {
        "measure": "Belkadi et al. 2023 token-level P/R/F1 (BIO tags as classes, O included)",
        "tokens": "spaCy tokens of the gold documents (their code: sub-word tokens)",
        **token_prf(gold_tags, pred_tags),
    }


def feature_caches(nlp: Language) -> List[FeatureCache]:
    """The frozen-feature caches of a pipeline's models (none for a model without features)."""
    caches = []
    for _, pipe in nlp.components:
        model = getattr(pipe, "model", None)
        if isinstance(model, Model):
            for node in model.walk():
                cache = node.attrs.get(CACHE_ATTR) if node.name == "frozen_features" else None
                if isinstance(cache, FeatureCache):
                    caches.append(cache)
    return caches


def words_per_second(nlp: Language, texts: Sequence[str], *, batch_size: int = SPEED_BATCH,
                     repeats: int = SPEED_REPEATS, warmup: bool = True) -> Dict[str, object]:
    """Inference speed of nlp.pipe on texts: the median of timed passes.

    Every feature cache is cleared before each timed pass: a cached pipeline would otherwise time
    its head alone on the second pass, while a user's text always goes through the encoder.

    nlp (Language): the pipeline.
    texts (Sequence[str]): the texts (the test set).
    batch_size (int): nlp.pipe batch size.
    repeats (int): timed passes.
    warmup (bool): run one untimed pass first (False when the caller just ran one).
    RETURNS (Dict[str, object]): words_per_s (median), seconds per pass, words (spaCy tokens that
        are not whitespace), docs, batch_size, repeats, torch_threads, feature_caches cleared.
    """
    import torch

    if repeats < 1:
        raise ValueError(f"repeats must be >= 1, got {repeats}")
    words = sum(1 for text in texts for token in nlp.make_doc(text) if not token.is_space)
    if warmup:
        for _ in nlp.pipe(texts, batch_size=batch_size):
            pass
    caches = feature_caches(nlp)
    seconds = []
    for _ in range(repeats):
        for cache in caches:
            cache.clear()
        start = time.perf_counter()
        for _ in nlp.pipe(texts, batch_size=batch_size):
            pass
        seconds.append(time.perf_counter() - start)
    median = statistics.median(seconds)
    return {"words_per_s": words / median if median > 0 else None, "seconds": [round(s, 3) for s in seconds],
            "words": words, "docs": len(texts), "batch_size": batch_size, "repeats": repeats,
            "torch_threads": torch.get_num_threads(), "feature_caches_cleared": len(caches)}


def count_params(nlp: Language) -> Dict[str, Optional[int]]:
    """Trainable weights of a pipeline's heads, and its frozen encoder's weights apart.

    Trainable: the thinc params of every component not in [training] frozen_components, plus
    the torch weights of PyTorch layers inside them (thinc's PyTorchLSTM keeps the BiLSTM's
    weights in a shim, not as thinc params). The frozen encoder under clinner's
    frozen_features layer is left out of both and counted, from its torch module, as encoder.

    nlp (Language): the pipeline.
    RETURNS (Dict[str, Optional[int]]): trainable, thinc, torch, encoder (None: no encoder).
    """
    from thinc.api import PyTorchShim

    frozen = set(nlp.config.get("training", {}).get("frozen_components") or [])
    seen, encoder_nodes = set(), set()
    thinc_n = torch_n = 0
    encoder_n: Optional[int] = None
    models = [pipe.model for name, pipe in nlp.components
              if name not in frozen and isinstance(getattr(pipe, "model", None), Model)]
    for model in models:
        for node in model.walk():
            if node.name == "frozen_features" and id(node) not in encoder_nodes:
                module = node.get_ref("transformer").transformer
                if module is not None:
                    encoder_n = (encoder_n or 0) + sum(int(p.numel()) for p in module.parameters())
                encoder_nodes.update(id(n) for n in node.walk())
    for model in models:
        for node in model.walk():
            if id(node) in seen or id(node) in encoder_nodes:
                continue
            seen.add(id(node))
            thinc_n += sum(int(node.get_param(name).size) for name in node.param_names if node.has_param(name))
            for shim in node.shims:
                if isinstance(shim, PyTorchShim):
                    torch_n += sum(int(p.numel()) for p in shim._model.parameters() if p.requires_grad)
    return {"trainable": thinc_n + torch_n, "thinc": thinc_n, "torch": torch_n, "encoder": encoder_n}
