"""The label-aware MMD term of clinner_ner's update: which tokens, which domain, how many.

ClinicalNER.update adds weight * sum_y MMD^2_y (pipeline/mmd_loss.py) on the tok2vec output
when a batch holds docs of both domains. This module decides what goes in:
- the domain of a doc is read from its clinner metadata (util.get_meta): a doc whose
  meta[domain_key] is one of source_values is source-domain, a doc with another value is
  target-domain, a doc without the key takes no part. clinner.MixedCorpus.v1 writes
  meta["train_domain"] = "source" / "target" by the file a doc came from (the default rule);
  domain_key "lang" with source_values ["en"] is the alternative for translated (en) versus
  es/fr target docs.
- the label of a token is its gold entity label without B/I, "O" outside entities; tokens
  with missing annotation, misaligned tokens and labels the pipeline does not predict are left
  out. "O" in a corpus that annotates only some labels may hide an unannotated entity; both
  domains come from the same corpora here, so that noise is on both sides and the O tokens stay.
- at most max_tokens tokens per label and domain (a seeded random subset), which bounds the
  O((n + m)^2) kernel matrices.
"""
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

import numpy
from spacy.tokens import Doc
from spacy.training import Example

from ..util import get_meta
from .mmd_loss import LADTL_SIGMAS, label_aware_mmd2

OUTSIDE = "O"
DOMAIN_META = "train_domain"  # written by clinner.MixedCorpus.v1 (training/mixed_corpus.py)
SOURCE, TARGET = "source", "target"


class LabelAwareMMD:
    """Settings and random state of the MMD term; computes it for a batch."""

    def __init__(
        self,
        weight: float = 0.0,
        domain_key: str = DOMAIN_META,
        source_values: Sequence[str] = (SOURCE,),
        max_tokens: int = 256,
        seed: int = 0,
    ) -> None:
        """weight (float): multiplier of the summed MMD^2 in the loss; 0 turns the term off.
        domain_key (str): the clinner metadata key that tells a doc's domain.
        source_values (Sequence[str]): values of that key that mark source-domain docs.
        max_tokens (int): most tokens per label and domain that enter the MMD, >= 1.
        seed (int): seed of the subsampling.
        """
        if weight < 0:
            raise ValueError(f"mmd_weight must be >= 0, got {weight}")
        if max_tokens < 1:
            raise ValueError(f"mmd_max_tokens must be >= 1, got {max_tokens}")
        if not domain_key:
            raise ValueError("mmd_domain_key must name a clinner metadata key, got an empty string")
        self.weight = float(weight)
        self.domain_key = str(domain_key)
        self.source_values = [str(v) for v in source_values]
        self.max_tokens = int(max_tokens)
        self.seed = int(seed)
        self.rng = numpy.random.default_rng(self.seed)

    def settings(self) -> Dict:
        """RETURNS (Dict): the settings, under the clinner_ner factory's argument names."""
        return {"mmd_weight": self.weight, "mmd_domain_key": self.domain_key,
                "mmd_source_values": list(self.source_values), "mmd_max_tokens": self.max_tokens,
                "mmd_seed": self.seed}

    def domain(self, doc: Doc) -> Optional[str]:
        """RETURNS (Optional[str]): SOURCE, TARGET, or None for a doc without domain metadata."""
        value = get_meta(doc, self.domain_key)
        if value is None:
            return None
        return SOURCE if str(value) in self.source_values else TARGET

    def applies(self, examples: Sequence[Example]) -> bool:
        """RETURNS (bool): whether the term is on and the batch has docs of both domains."""
        if self.weight <= 0:
            return False
        domains = {self.domain(eg.reference) for eg in examples}
        return SOURCE in domains and TARGET in domains

    def __call__(
        self, examples: Sequence[Example], vectors: List[numpy.ndarray], labels: Iterable[str]
    ) -> Tuple[float, List[numpy.ndarray], Dict[str, float]]:
        """The weighted term and its gradient for a batch.

        examples (Sequence[Example]): the batch.
        vectors (List[ndarray]): the tok2vec output per predicted doc, (n_tokens, width).
        labels (Iterable[str]): the pipeline's entity labels (others are left out).
        RETURNS (Tuple[float, List[ndarray], Dict[str, float]]): weight * sum_y MMD^2_y, its
            gradient per doc (float32, zero for tokens left out), and MMD^2 per label (unweighted).
        """
        known = set(labels) | {OUTSIDE}
        groups: Dict[Tuple[str, bool], List[int]] = {}
        offset = 0
        for eg, doc_vectors in zip(examples, vectors):
            domain = self.domain(eg.reference)
            if domain is not None:
                for i, label in enumerate(token_labels(eg)):
                    if label in known:
                        groups.setdefault((label, domain == SOURCE), []).append(offset + i)
            offset += doc_vectors.shape[0]
        rows, row_labels, row_source = [], [], []
        for (label, is_source), idx in sorted(groups.items()):
            if len(idx) > self.max_tokens:
                idx = sorted(self.rng.choice(idx, size=self.max_tokens, replace=False).tolist())
            rows.extend(idx)
            row_labels.extend([label] * len(idx))
            row_source.extend([is_source] * len(idx))
        width = vectors[0].shape[1] if vectors else 0
        flat = numpy.concatenate(vectors) if vectors else numpy.zeros((0, width), dtype="f")
        grad = numpy.zeros(flat.shape, dtype="float32")
        if not rows:
            return 0.0, _split(grad, vectors), {}
        rows = numpy.asarray(rows)
        total, d_rows, per_label = label_aware_mmd2(flat[rows], row_labels, numpy.asarray(row_source),
                                                    LADTL_SIGMAS)
        # rows are distinct (each token is in one group), so plain assignment scatters
        grad[rows] = self.weight * d_rows
        return self.weight * total, _split(grad, vectors), per_label


def token_labels(eg: Example) -> List[Optional[str]]:
    """Gold labels of the predicted doc's tokens for the MMD: the entity label without B/I/L/U,
    "O" outside entities, None for missing annotation ("-") or misaligned tokens.

    eg (Example): the example.
    RETURNS (List[Optional[str]]): one entry per token of eg.predicted.
    """
    out = []
    for tag in eg.get_aligned_ner():
        if tag is None or tag in ("", "-"):
            out.append(None)
        elif tag == OUTSIDE:
            out.append(OUTSIDE)
        else:
            out.append(tag.split("-", 1)[1])
    return out


def _split(flat: numpy.ndarray, like: List[numpy.ndarray]) -> List[numpy.ndarray]:
    out, start = [], 0
    for arr in like:
        out.append(flat[start : start + arr.shape[0]])
        start += arr.shape[0]
    return out
