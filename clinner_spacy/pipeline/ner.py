"""clinner_ner: a BIO token tagger for entities, trained with partial labels.

Corpora annotate different subsets of the schema labels; each Doc lists its corpus's subset in
user_data["clinner"]["annotated_labels"]. spaCy's `ner` would learn that an unannotated DRUG
mention in a DISORDER-only corpus is "not an entity". clinner_ner instead maximises the
marginal likelihood of the tags that the annotation allows (pipeline/loss.py):
- a token inside a gold entity has exactly its tag;
- another annotated token allows "O" and B/I of every label its corpus does not annotate;
- a token with missing annotation (ent_iob_ == "") has no loss.
With every label annotated this is ordinary cross-entropy. Decoding is a Viterbi search over
valid BIO sequences (pipeline/tags.py). See docs/partial-labels.md.

With a CRF head (clinner.CRFTagger.v1, models/crf.py) the same masks constrain a CRF lattice
instead: the loss is the partial-label CRF likelihood (pipeline/crf_loss.py) and the Viterbi
adds the learned transition scores. See docs/crf.md.

With mmd_weight > 0, a batch holding docs of both training domains (pipeline/mmd.py) also
trains the tok2vec output towards La-DTL's label-aware MMD: source-domain and target-domain
tokens of each gold label should look alike. See docs/mmd.md.
"""
from itertools import islice
from typing import Callable, Dict, Iterable, List, Optional, Sequence, Set

import numpy
from spacy.language import Language
from spacy.pipeline import TrainablePipe
from spacy.tokens import Doc, Span
from spacy.training import Example, validate_examples, validate_get_examples
from spacy.vocab import Vocab
from thinc.api import Config, Model, Optimizer, set_dropout_rate
from thinc.types import Floats2d

from ..models.crf import CRF_PARAMS, is_crf
from ..models.tok2vec_split import begin_update_split
from ..util import annotated_labels, logger
from .crf_loss import crf_marginals, crf_partial_label_loss
from .loss import partial_label_loss
from .mmd import DOMAIN_META, SOURCE, LabelAwareMMD
from .tags import allowed_tag_mask, biluo_to_bio, make_tags, tags_to_spans, viterbi_bio_batch

DEFAULT_NER_MODEL = """
[model]
@architectures = "clinner.TokenTagger.v1"
nO = null
use_dropout = true

[model.tok2vec]
@architectures = "spacy-transformers.TransformerListener.v1"
grad_factor = 1.0
pooling = {"@layers":"reduce_mean.v1"}
upstream = "*"
"""
DEFAULT_MODEL = Config().from_str(DEFAULT_NER_MODEL)["model"]


@Language.factory(
    "clinner_ner",
    assigns=["doc.ents", "token.ent_iob", "token.ent_type"],
    default_config={
        "model": DEFAULT_MODEL,
        "partial_labels": True,
        "scorer": {"@scorers": "clinner.partial_ner_scorer.v1"},
        "mmd_weight": 0.0,
        "mmd_domain_key": DOMAIN_META,
        "mmd_source_values": [SOURCE],
        "mmd_max_tokens": 256,
        "mmd_seed": 0,
    },
    default_score_weights={"ents_f": 1.0, "ents_p": 0.0, "ents_r": 0.0, "ents_per_type": None},
)
def make_clinner_ner(
    nlp: Language,
    name: str,
    model: Model[List[Doc], List[Floats2d]],
    partial_labels: bool,
    scorer: Optional[Callable],
    mmd_weight: float = 0.0,
    mmd_domain_key: str = DOMAIN_META,
    mmd_source_values: List[str] = [SOURCE],
    mmd_max_tokens: int = 256,
    mmd_seed: int = 0,
) -> "ClinicalNER":
    """Create a clinner_ner component.

    model (Model[List[Doc], List[Floats2d]]): tag probabilities per token (clinner.TokenTagger.v1),
        or emission scores per token with a CRF head (clinner.CRFTagger.v1).
    partial_labels (bool): treat labels a doc's corpus does not annotate as unknown (True), or
        as absent like spaCy's ner does (False, for ablations).
    scorer (Optional[Callable]): scoring method, clinner.partial_ner_scorer.v1 by default.
    mmd_weight (float): weight of La-DTL's label-aware MMD on the tok2vec output (0: off, the
        plain partial-label update). A sourced component keeps its source's settings; set them
        with the clinner.mmd_settings.v1 callback then (training/mmd_settings.py).
    mmd_domain_key (str): clinner metadata key giving a doc's domain ("train_domain", written
        by clinner.MixedCorpus.v1; or "lang").
    mmd_source_values (List[str]): values of that key that mark source-domain docs; any other
        value is target-domain, docs without the key take no part.
    mmd_max_tokens (int): most tokens per label and domain in the MMD (seeded subsample).
    mmd_seed (int): seed of that subsample.
    """
    mmd = LabelAwareMMD(mmd_weight, mmd_domain_key, mmd_source_values, mmd_max_tokens, mmd_seed)
    return ClinicalNER(nlp.vocab, model, name, partial_labels=partial_labels, scorer=scorer, mmd=mmd)


class ClinicalNER(TrainablePipe):
    """Entity recogniser: token tagger over BIO tags with partial-label training."""

    def __init__(
        self,
        vocab: Vocab,
        model: Model,
        name: str = "clinner_ner",
        *,
        partial_labels: bool = True,
        scorer: Optional[Callable] = None,
        mmd: Optional[LabelAwareMMD] = None,
    ) -> None:
        """Initialize the component.

        vocab (Vocab): the shared vocabulary.
        model (Model): the tagger model; its output width is set from the labels.
        name (str): component name, also the key in the losses dict.
        partial_labels (bool): see make_clinner_ner.
        scorer (Optional[Callable]): scoring method.
        mmd (Optional[LabelAwareMMD]): the label-aware MMD term; None: off.
        """
        self.vocab = vocab
        self.model = model
        self.name = name
        self.scorer = scorer
        self.cfg: Dict = {"labels": [], "partial_labels": partial_labels}
        self._foreign_labels: Set[str] = set()
        self.set_mmd(mmd or LabelAwareMMD())

    @property
    def mmd_loss_key(self) -> str:
        """RETURNS (str): the key of the weighted MMD term in the losses dict."""
        return f"{self.name}_mmd"

    def set_mmd(self, mmd: LabelAwareMMD) -> None:
        """Use these MMD settings from the next update on (also saved in self.cfg).

        mmd (LabelAwareMMD): the settings and subsampling state.
        """
        self.mmd = mmd
        self.cfg.update(mmd.settings())

    @property
    def labels(self) -> List[str]:
        """RETURNS (List[str]): the entity labels, in model column order."""
        return list(self.cfg["labels"])

    @property
    def tags(self) -> List[str]:
        """RETURNS (List[str]): the BIO tags, in model column order."""
        return make_tags(self.labels)

    @property
    def is_crf(self) -> bool:
        """RETURNS (bool): whether the model is a CRF head (CRF loss and decoder) or a softmax."""
        return is_crf(self.model)

    @property
    def label_data(self) -> List[str]:
        """RETURNS (List[str]): the labels, as saved by `spacy init labels`."""
        return self.labels

    def add_label(self, label: str) -> int:
        """Add an entity label before initialization.

        label (str): the label.
        RETURNS (int): 1 if added, 0 if already present.
        """
        if not isinstance(label, str):
            raise ValueError(f"clinner_ner labels must be strings, got {label!r}")
        if label in self.cfg["labels"]:
            return 0
        output = self.model.get_ref("output_layer")
        if output.has_dim("nO"):
            raise ValueError(
                f"Cannot add label {label!r} to initialized component {self.name!r}: its output "
                f"layer is sized for {self.labels}. Pass all labels to initialize(labels=...)."
            )
        self.cfg["labels"].append(label)
        self.vocab.strings.add(label)
        return 1

    def initialize(
        self,
        get_examples: Callable[[], Iterable[Example]],
        *,
        nlp: Optional[Language] = None,
        labels: Optional[Sequence[str]] = None,
    ) -> None:
        """Set the labels and size and initialize the model.

        get_examples (Callable[[], Iterable[Example]]): training examples (a sample is used).
        nlp (Optional[Language]): the pipeline.
        labels (Optional[Sequence[str]]): the label set; by default every entity label and every
            annotated_labels entry seen in the examples. A pipeline may hold labels that some
            corpus lacks: training treats those as unknown there, never as "O".
        """
        validate_get_examples(get_examples, "ClinicalNER.initialize")
        if labels is not None:
            for label in labels:
                self.add_label(label)
        else:
            found = set()
            for eg in get_examples():
                found.update(ent.label_ for ent in eg.reference.ents)
                found.update(annotated_labels(eg.reference, ()))
            for label in sorted(found):
                self.add_label(label)
        if not self.labels:
            raise ValueError(
                f"clinner_ner {self.name!r} has no labels: the examples have no entities and no "
                "annotated_labels metadata; pass [initialize.components] labels."
            )
        for ref in ("output_layer", "crf") if self.is_crf else ("output_layer",):
            layer = self.model.get_ref(ref)
            if not layer.has_dim("nO"):
                layer.set_dim("nO", len(self.tags))
        doc_sample = [eg.x for eg in islice(get_examples(), 10)]
        self.model.initialize(X=doc_sample)

    def predict(self, docs: Iterable[Doc]) -> List[numpy.ndarray]:
        """Decode the best valid BIO tag sequence of each doc.

        docs (Iterable[Doc]): the documents.
        RETURNS (List[ndarray]): tag indices per doc (see tags.make_tags).
        """
        docs = list(docs)
        if not any(len(doc) for doc in docs):
            return [numpy.zeros((0,), dtype="i") for _ in docs]
        scores = self.model.predict(docs)
        to_numpy = self.model.ops.to_numpy
        if self.is_crf:
            return viterbi_bio_batch([to_numpy(s) for s in scores], **self._crf_scores())
        # log of probabilities: Viterbi sums per-token scores along the sequence
        return viterbi_bio_batch([numpy.log(numpy.maximum(to_numpy(s), 1e-12)) for s in scores])

    def tag_probabilities(self, docs: Iterable[Doc]) -> List[numpy.ndarray]:
        """Per-token tag probabilities: the softmax outputs, or the CRF's marginals.

        docs (Iterable[Doc]): the documents (annotated by any earlier components).
        RETURNS (List[ndarray]): per doc, (n_tokens, n_tags) probabilities in make_tags order.
        """
        docs = list(docs)
        if not any(len(doc) for doc in docs):
            return [numpy.zeros((0, len(self.tags)), dtype="f") for _ in docs]
        to_numpy = self.model.ops.to_numpy
        scores = [to_numpy(s) for s in self.model.predict(docs)]
        return crf_marginals(scores, **self._crf_scores()) if self.is_crf else scores

    def set_annotations(self, docs: Iterable[Doc], tag_ids: List[numpy.ndarray]) -> None:
        """Write decoded entities to doc.ents (replacing any there).

        docs (Iterable[Doc]): the documents.
        tag_ids (List[ndarray]): the output of predict.
        """
        labels = self.labels
        for doc, ids in zip(docs, tag_ids):
            spans = [Span(doc, s, e, label=label) for s, e, label in tags_to_spans(ids, labels)]
            doc.set_ents(spans, default="outside")

    def update(
        self,
        examples: Iterable[Example],
        *,
        drop: float = 0.0,
        sgd: Optional[Optimizer] = None,
        losses: Optional[Dict[str, float]] = None,
    ) -> Dict[str, float]:
        """Learn from a batch of examples with partial-label loss (plus the MMD term, if on).

        losses[self.name] is the supervised loss alone, comparable across arms; the weighted
        MMD term goes to losses[self.mmd_loss_key] ("clinner_ner_mmd"), on batches where it ran.

        examples (Iterable[Example]): predicted and reference docs.
        drop (float): dropout rate.
        sgd (Optional[Optimizer]): the optimizer.
        losses (Optional[Dict[str, float]]): losses so far, updated under self.name.
        RETURNS (Dict[str, float]): the losses.
        """
        if losses is None:
            losses = {}
        losses.setdefault(self.name, 0.0)
        examples = list(examples)
        validate_examples(examples, "ClinicalNER.update")
        if not any(len(eg.predicted) for eg in examples):
            return losses
        set_dropout_rate(self.model, drop)
        docs = [eg.predicted for eg in examples]
        if self.mmd.applies(examples):
            scores, vectors, backprop_split = begin_update_split(self.model, docs)
            loss, d_scores, crf_grads = self._loss_and_gradients(examples, scores)
            ops = self.model.ops
            mmd_loss, d_vectors, _ = self.mmd(examples, [ops.to_numpy(v) for v in vectors], self.labels)
            if not numpy.isfinite(mmd_loss):
                raise ValueError(f"NaN/inf MMD term in {self.name!r}; check learning rate and inputs")
            backprop_split(d_scores, [ops.asarray2f(d) for d in d_vectors])
            losses[self.mmd_loss_key] = losses.get(self.mmd_loss_key, 0.0) + mmd_loss
        else:
            # exactly the update without the MMD option
            scores, backprop = self.model.begin_update(docs)
            loss, d_scores, crf_grads = self._loss_and_gradients(examples, scores)
            backprop(d_scores)
        if crf_grads:
            # the transition scores get no backprop (they are not a function of the input)
            crf = self.model.get_ref("crf")
            for name, grad in crf_grads.items():
                crf.inc_grad(name, self.model.ops.asarray(grad))
        if sgd is not None:
            self.finish_update(sgd)
        losses[self.name] += loss
        return losses

    def get_loss(self, examples: Iterable[Example], scores: List[Floats2d]):
        """Partial-label loss and its gradient (see module docstring).

        examples (Iterable[Example]): the batch.
        scores (List[Floats2d]): tag probabilities (or CRF emission scores) per predicted doc.
        RETURNS (Tuple[float, List[Floats2d]]): the loss, gradients per doc.
        """
        loss, d_scores, _ = self._loss_and_gradients(examples, scores)
        return loss, d_scores

    def _crf_scores(self) -> Dict[str, numpy.ndarray]:
        """RETURNS (Dict[str, ndarray]): the CRF layer's transitions, start and end, as numpy."""
        crf = self.model.get_ref("crf")
        return {name: self.model.ops.to_numpy(crf.get_param(name)) for name in CRF_PARAMS}

    def _loss_and_gradients(self, examples: Iterable[Example], scores: List[Floats2d]):
        """get_loss, plus the CRF score gradients (empty for a softmax head) that update() applies.

        Kept apart from get_loss so that calling get_loss (e.g. to report a dev loss) never
        accumulates gradients.
        RETURNS (Tuple[float, List[Floats2d], Dict[str, ndarray]]): loss, d_scores, CRF grads.
        """
        examples = list(examples)
        validate_examples(examples, "ClinicalNER.get_loss")
        labels = self.labels
        masks, has_loss = [], []
        for eg in examples:
            self._report_foreign_labels(eg.reference)
            bio = [biluo_to_bio(tag) for tag in eg.get_aligned_ner()]
            annotated = (
                annotated_labels(eg.reference, labels) if self.cfg["partial_labels"] else labels
            )
            mask, supervised = allowed_tag_mask(bio, labels, annotated)
            masks.append(mask)
            has_loss.append(supervised)
        ops = self.model.ops
        if self.is_crf:
            emissions = [ops.to_numpy(s) for s in scores]
            loss, d_np, crf_grads = crf_partial_label_loss(
                emissions, masks, has_loss, **self._crf_scores()
            )
            if not numpy.isfinite(loss):
                raise ValueError(f"NaN/inf loss in {self.name!r}; check learning rate and inputs")
            return loss, [ops.asarray2f(d) for d in d_np], crf_grads
        probs = numpy.concatenate([ops.to_numpy(s) for s in scores]) if scores else None
        if probs is None or probs.shape[0] == 0:
            return 0.0, [ops.alloc2f(*s.shape) for s in scores], {}
        allowed, supervised = numpy.concatenate(masks), numpy.concatenate(has_loss)
        loss, d_flat = partial_label_loss(probs, allowed, supervised)
        if not numpy.isfinite(loss):
            raise ValueError(f"NaN/inf loss in {self.name!r}; check learning rate and inputs")
        d_scores, start = [], 0
        for s in scores:
            d_scores.append(ops.asarray2f(d_flat[start : start + s.shape[0]]))
            start += s.shape[0]
        return loss, d_scores, {}

    def _report_foreign_labels(self, reference: Doc) -> None:
        """Log, once per label, gold entities whose label the pipeline does not predict.

        Such tokens train as "none of the pipeline's labels" (tags.allowed_tag_mask); saying
        so once keeps a label-set mismatch from passing unnoticed.
        """
        for ent in reference.ents:
            if ent.label_ not in self.cfg["labels"] and ent.label_ not in self._foreign_labels:
                self._foreign_labels.add(ent.label_)
                logger.warning(
                    "%s: gold entities labelled %r are not among the labels %s; they train "
                    "as outside entities", self.name, ent.label_, self.labels,
                )
