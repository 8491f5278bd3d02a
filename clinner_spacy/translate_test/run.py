"""Score translate-test on a gold DocBin: what `clinner translate-test` runs.

The gold texts are tokenised by the English pipeline's tokenizer (as `clinner evaluate
--model` does for the direct zero-shot arm, so the two arms are scored on the same tokens),
given the gold sentence boundaries, tagged by TranslateTest, and scored as project/evaluate.py's score_model scores every other
arm (score_predictions below repeats its few lines: project/evaluate.py is part of the code
stamp, and touching it would mark every trained model stale). The metrics file has the keys
of every other arm's ("strict", "bootstrap", "doc_counts", ...), with "run"
naming the arm "translate_test", and "translate_test" holding the alignment counts, the
translator, the aligner and the runtime.
"""
import time
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

from spacy.tokens import Doc

from ..checks import check_input_file, check_not_empty
from ..docbins import read_docs
from ..progress import Progress
from ..translate.base import Translator
from ..translate.registry import describe
from ..util import get_meta
from .align import Aligner
from .component import TranslateTest

ARM = "translate_test"


def translate_test_files(
    *,
    model: Union[str, Path],
    gold: Union[str, Path],
    src_lang: str,
    translator: Translator,
    aligner: Aligner,
    tgt_lang: str = "en",
    labels: Optional[Sequence[str]] = None,
    n_bootstrap: int = 1000,
    seed: int = 0,
    batch_size: int = 8,
    progress: Optional[bool] = True,
    allow_empty: bool = False,
) -> Tuple[Dict[str, Any], List[Doc]]:
    """Run translate-test on a gold DocBin's texts and score it.

    model (Union[str, Path]): the English NER pipeline (directory or package).
    gold (Union[str, Path]): the gold .spacy file in src_lang.
    src_lang (str), tgt_lang (str): ISO 639-1 codes.
    translator (Translator): the backend (wrap it in CachedTranslator for reruns).
    aligner (Aligner): align.EncoderAligner or align.LexicalAligner.
    labels (Optional[Sequence[str]]): labels scored; None for all.
    n_bootstrap (int): bootstrap resamples for the 95% interval of strict micro F1.
    seed (int): the bootstrap seed.
    batch_size (int): documents translated and tagged together.
    progress (Optional[bool]): show documents done, rate and time left.
    allow_empty (bool): score a gold file without documents instead of failing.
    RETURNS (Tuple[Dict[str, Any], List[Doc]]): the metrics, and the predicted docs.
    """
    import spacy

    from ..evaluation.evaluate import check_labels

    gold = check_input_file(gold, suffixes=(".spacy",), what="gold DocBin")
    # checked before seconds of pipeline loading, as clinner evaluate does
    check_not_empty(len(read_docs(gold)), gold, allow_empty=allow_empty)
    if not Path(model).exists() and not spacy.util.is_package(str(model)):
        raise FileNotFoundError(f"English pipeline not found: {model} (neither a folder nor an installed package)")
    start = time.perf_counter()
    english = spacy.load(model)
    component = TranslateTest(model=str(model), src_lang=src_lang, tgt_lang=tgt_lang, translator=translator,
                              aligner=aligner, batch_size=batch_size, english=english)
    gold_docs = read_docs(gold, english.vocab)
    pred_docs: List[Doc] = []
    texts = (_with_sentences(english.make_doc(doc.text), doc) for doc in gold_docs)
    with Progress(len(gold_docs), desc="translate-test", unit="doc", enabled=progress) as bar:
        for g, pred in zip(gold_docs, component.pipe(texts)):
            pred.user_data.setdefault("clinner", {})["doc_id"] = get_meta(g, "doc_id")
            pred_docs.append(pred)
            bar.update(1)
    seconds = time.perf_counter() - start
    if labels:
        check_labels(labels, gold_docs, pred_docs)
    metrics = score_predictions(gold_docs, pred_docs, labels=labels, n_bootstrap=n_bootstrap, seed=seed)
    metrics["model"], metrics["gold"] = str(model), str(gold)
    # the seed is the English model's training seed: translate-test_s1 pairs with zero_shot_s1
    model_seed = english.config.get("system", {}).get("seed")
    metrics["run"] = {"arm": ARM, "lang": src_lang, "k": None, "model": str(model),
                      **({"seed": int(model_seed)} if model_seed is not None else {})}
    totals = dict(component.totals)
    metrics[ARM] = {
        "translator": describe(translator),
        "aligner": aligner.signature(),
        "counts": totals,
        "kept_share": round(totals["kept"] / totals["english_entities"], 4) if totals.get("english_entities") else None,
        "seconds": round(seconds, 1),
        "docs_per_second": round(len(gold_docs) / seconds, 3) if seconds > 0 else None,
    }
    return metrics, pred_docs


def _with_sentences(doc: Doc, gold: Doc) -> Doc:
    """Copy the gold doc's sentence starts onto its retokenised text, so translate-test translates
    the same sentences as train-time projection (else sentences.py falls back to the Sentencizer)."""
    if gold.has_annotation("SENT_START") and len(doc):
        starts = {sent.start_char for sent in gold.sents}
        for token in doc:
            token.is_sent_start = token.i == 0 or token.idx in starts
    return doc


def score_predictions(
    gold_docs: Sequence[Doc], pred_docs: Sequence[Doc], *, labels: Optional[Sequence[str]], n_bootstrap: int,
    seed: int = 0,
) -> Dict[str, Any]:
    """evaluation.evaluate_docs plus "doc_counts", as project.evaluate.score_model (keep them alike).

    gold_docs (Sequence[Doc]), pred_docs (Sequence[Doc]): paired by position, same texts.
    labels (Optional[Sequence[str]]): labels scored; None or empty for all.
    n_bootstrap (int): bootstrap resamples for the interval of micro F1.
    RETURNS (Dict[str, Any]): the metrics, with strict TP/FP/FN per scored document.
    """
    from ..evaluation.bootstrap import doc_count_matrix
    from ..evaluation.evaluate import evaluate_docs
    from ..evaluation.spans import doc_spans

    wanted = sorted(labels) if labels else None
    metrics = evaluate_docs(gold_docs, pred_docs, labels=wanted, n_bootstrap=n_bootstrap, seed=seed)
    ids, scored = [], []
    for i, (g, p) in enumerate(zip(gold_docs, pred_docs)):
        doc_id = str(get_meta(g, "doc_id") or i)
        spans = doc_spans(p, g, labels=wanted, doc_id=doc_id)
        if spans is not None:  # the same documents evaluate_docs scored
            ids.append(doc_id)
            scored.append(spans)
    metrics["doc_counts"] = {"doc_ids": ids, "tp_fp_fn": doc_count_matrix(scored).tolist()}
    return metrics
