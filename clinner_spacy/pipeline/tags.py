"""BIO tag sets, partial-label targets and constrained Viterbi decoding for clinner_ner.

Tag layout (the model's output columns; ClinicalNER, the losses and bio_constraints rely on it):
index 0 is "O", then "B-L" at 1 + 2*i and "I-L" at 2 + 2*i for the i-th label.
"""
from typing import Iterable, List, Optional, Sequence, Tuple

import numpy

MISSING = None  # a token whose annotation is unknown: it gets no loss


def make_tags(labels: Sequence[str]) -> List[str]:
    """List the BIO tags for a label sequence, in model column order.

    labels (Sequence[str]): entity labels.
    RETURNS (List[str]): ["O", "B-L1", "I-L1", "B-L2", ...].
    """
    tags = ["O"]
    for label in labels:
        tags.extend((f"B-{label}", f"I-{label}"))
    return tags


def biluo_to_bio(tag: Optional[str]) -> Optional[str]:
    """Map one BILUO tag (as Example.get_aligned_ner gives) to BIO; None and "-" stay missing."""
    if tag is None or tag == "-" or tag == "":
        return MISSING
    if tag == "O":
        return "O"
    prefix, label = tag.split("-", 1)
    return ("B-" if prefix in ("B", "U") else "I-") + label


def allowed_tag_mask(
    bio_tags: Sequence[Optional[str]],
    labels: Sequence[str],
    annotated: Iterable[str],
) -> Tuple[numpy.ndarray, numpy.ndarray]:
    """Build the set of tags compatible with partial gold annotation, per token.

    A token inside a gold entity of a known label allows exactly its tag. Any other annotated
    token (gold "O", or an entity of a label outside `labels`, which is then "not one of ours")
    allows "O" plus B/I of every label that the document's corpus does not annotate. A token
    with missing annotation allows everything and is flagged as carrying no loss.

    bio_tags (Sequence[Optional[str]]): gold BIO tag per predicted token, None where missing.
    labels (Sequence[str]): the model's labels, in column order.
    annotated (Iterable[str]): labels the document's corpus annotates.
    RETURNS (Tuple[ndarray, ndarray]): bool mask (n_tokens, n_tags), bool has_loss (n_tokens,).
    """
    tags = make_tags(labels)
    index = {tag: i for i, tag in enumerate(tags)}
    annotated = set(annotated)
    outside = numpy.zeros((len(tags),), dtype=bool)
    outside[0] = True
    for i, label in enumerate(labels):
        if label not in annotated:
            outside[1 + 2 * i] = outside[2 + 2 * i] = True
    mask = numpy.zeros((len(bio_tags), len(tags)), dtype=bool)
    has_loss = numpy.ones((len(bio_tags),), dtype=bool)
    for t, tag in enumerate(bio_tags):
        if tag is MISSING:
            mask[t] = True
            has_loss[t] = False
        elif tag in index and tag != "O":
            mask[t, index[tag]] = True
        else:
            mask[t] = outside
    return mask, has_loss


def viterbi_bio(log_probs: numpy.ndarray) -> numpy.ndarray:
    """Best tag sequence under BIO constraints: "I-L" only after "B-L" or "I-L".

    log_probs (ndarray): (n_tokens, n_tags) log-probabilities in make_tags order.
    RETURNS (ndarray): (n_tokens,) int tag indices, a valid BIO sequence.
    """
    return viterbi_bio_batch([log_probs])[0]


def bio_constraints(n_tags: int) -> Tuple[numpy.ndarray, numpy.ndarray]:
    """Which tag transitions and first tags a valid BIO sequence may have.

    The one statement of the BIO rule that the CRF lattices (pipeline/crf_loss.py) and the
    scored Viterbi below share: "I-L" only after "B-L" or "I-L", never first.

    n_tags (int): number of tags, 1 + 2 * number of labels.
    RETURNS (Tuple[ndarray, ndarray]): bool (n_tags, n_tags) allowed[prev, next], and bool
        (n_tags,) allowed first tags.
    """
    allowed = numpy.ones((n_tags, n_tags), dtype=bool)
    first = numpy.ones((n_tags,), dtype=bool)
    for inside in range(2, n_tags, 2):
        allowed[:, inside] = False
        allowed[inside - 1, inside] = allowed[inside, inside] = True
        first[inside] = False
    return allowed, first


def viterbi_bio_batch(
    batch: Sequence[numpy.ndarray],
    transitions: Optional[numpy.ndarray] = None,
    start: Optional[numpy.ndarray] = None,
    end: Optional[numpy.ndarray] = None,
) -> List[numpy.ndarray]:
    """Constrained Viterbi for a batch of docs at once (one numpy step per token position).

    Without transition scores (the softmax tagger), transitions are either allowed (score 0)
    or forbidden, so each step is a max over the previous column: "O" and "B-L" may follow
    anything, "I-L" only its own B/I. With them (the CRF head, models/crf.py), a path scores
    start[y_0] + sum_t emissions[t, y_t] + sum_t transitions[y_{t-1}, y_t] + end[y_last] over
    the same valid paths. Docs are padded to the longest; each one's path is read back from its
    own last token.

    batch (Sequence[ndarray]): per doc, (n_tokens, n_tags) log-probabilities or emission scores.
    transitions (Optional[ndarray]): (n_tags, n_tags) scores [prev, next]; None for none.
    start (Optional[ndarray]): (n_tags,) first-tag scores; None for zeros.
    end (Optional[ndarray]): (n_tags,) last-tag scores; None for zeros.
    RETURNS (List[ndarray]): per doc, (n_tokens,) int tag indices, a valid BIO sequence.
    """
    if transitions is not None or start is not None or end is not None:
        return _viterbi_scored(batch, transitions, start, end)
    lengths = [len(lp) for lp in batch]
    n_docs, n_max = len(batch), max(lengths, default=0)
    if n_max == 0:
        return [numpy.zeros((0,), dtype="i") for _ in batch]
    n_tags = batch[0].shape[1]
    scores = numpy.zeros((n_docs, n_max, n_tags), dtype="f8")
    for d, lp in enumerate(batch):
        scores[d, : len(lp)] = lp
    b_idx = numpy.arange(1, n_tags, 2)
    i_idx = b_idx + 1
    rows = numpy.arange(n_docs)
    score = scores[:, 0].copy()
    score[:, i_idx] = -numpy.inf  # no I-L at the start
    back = numpy.zeros((n_docs, n_max, n_tags), dtype="i")
    final = numpy.zeros((n_docs, n_tags))
    ends = {}
    for d, n in enumerate(lengths):
        ends.setdefault(n - 1, []).append(d)
    for t in range(n_max):
        if t > 0:
            best_prev = score.argmax(axis=1)
            new = numpy.repeat(score[rows, best_prev][:, None], n_tags, axis=1)
            back[:, t, :] = best_prev[:, None]
            from_i = score[:, i_idx] >= score[:, b_idx]
            new[:, i_idx] = numpy.where(from_i, score[:, i_idx], score[:, b_idx])
            back[:, t, i_idx] = numpy.where(from_i, i_idx, b_idx)
            score = new + scores[:, t]
        for d in ends.get(t, ()):
            final[d] = score[d]
    return _backtrack(lengths, final, back)


def _pad(batch: Sequence[numpy.ndarray]) -> Tuple[List[int], numpy.ndarray]:
    """Stack per-doc (n_tokens, n_tags) scores into (n_docs, n_max, n_tags) float64, zero-padded."""
    lengths = [len(lp) for lp in batch]
    n_tags = batch[0].shape[1]
    scores = numpy.zeros((len(batch), max(lengths), n_tags), dtype="f8")
    for d, lp in enumerate(batch):
        scores[d, : len(lp)] = lp
    return lengths, scores


def _viterbi_scored(batch, transitions, start, end) -> List[numpy.ndarray]:
    """viterbi_bio_batch with transition/start/end scores: a (docs, prev, next) max per step."""
    if max((len(lp) for lp in batch), default=0) == 0:
        return [numpy.zeros((0,), dtype="i") for _ in batch]
    lengths, scores = _pad(batch)
    n_docs, n_max, n_tags = scores.shape
    allowed, first = bio_constraints(n_tags)
    zeros = numpy.zeros((n_tags,), dtype="f8")
    trans = numpy.zeros((n_tags, n_tags)) if transitions is None else numpy.asarray(transitions, dtype="f8")
    trans = numpy.where(allowed, trans, -numpy.inf)
    start = zeros if start is None else numpy.asarray(start, dtype="f8")
    end = zeros if end is None else numpy.asarray(end, dtype="f8")
    score = scores[:, 0] + numpy.where(first, start, -numpy.inf)
    back = numpy.zeros((n_docs, n_max, n_tags), dtype="i")
    final = numpy.zeros((n_docs, n_tags))
    ends = {}
    for d, n in enumerate(lengths):
        ends.setdefault(n - 1, []).append(d)
    for t in range(n_max):
        if t > 0:
            cand = score[:, :, None] + trans[None]  # (docs, prev, next)
            best = cand.argmax(axis=1)
            back[:, t] = best
            score = numpy.take_along_axis(cand, best[:, None, :], axis=1)[:, 0] + scores[:, t]
        for d in ends.get(t, ()):
            final[d] = score[d] + end
    return _backtrack(lengths, final, back)


def _backtrack(lengths: List[int], final: numpy.ndarray, back: numpy.ndarray) -> List[numpy.ndarray]:
    """Read each doc's best path back from its best last tag through the back-pointers."""
    paths = []
    for d, n in enumerate(lengths):
        path = numpy.zeros((n,), dtype="i")
        if n:
            path[-1] = int(final[d].argmax())
            doc_back = back[d]
            for t in range(n - 1, 0, -1):
                path[t - 1] = doc_back[t, path[t]]
        paths.append(path)
    return paths


def tags_to_spans(tag_ids: Sequence[int], labels: Sequence[str]) -> List[Tuple[int, int, str]]:
    """Read entity spans off a valid BIO tag-index sequence.

    tag_ids (Sequence[int]): tag indices in make_tags order.
    labels (Sequence[str]): the model's labels.
    RETURNS (List[Tuple[int, int, str]]): (start, end, label) token spans.
    """
    spans = []
    start, current = None, None
    for t, tag in enumerate(list(tag_ids) + [0]):
        tag = int(tag)
        is_inside = tag > 0 and tag % 2 == 0 and current == (tag - 1) // 2
        if start is not None and not is_inside:
            spans.append((start, t, labels[current]))
            start, current = None, None
        if tag > 0 and not is_inside:
            # a B tag, or a stray I tag (impossible after viterbi_bio) read as a start
            start, current = t, (tag - 1) // 2
    return spans
