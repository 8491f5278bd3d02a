"""Word alignment between an original sentence and its English translation.

SimAlign's argmax method (Jalili Sabet et al. 2020): embed the words of both sentences with a
multilingual encoder (the mean of each word's sub-word vectors at a middle layer, where
representations are the most cross-lingual), take the cosine similarity matrix, and keep the
pairs that are each other's best match in both directions (the intersection of the two argmax
alignments). It needs no parallel data, and favours precision: a word whose best match prefers
another word stays unaligned, which mapping.py counts rather than guesses.

Aligners are pluggable (the Aligner protocol): EncoderAligner is SimAlign; LexicalAligner
matches equal words and exists for tests and identity translation, where it reproduces the
direct predictions exactly. Translate-test cannot reuse the markers of train-time projection
(projection/markers.py): the entities are only known after translation.
"""
from pathlib import Path
from typing import Dict, List, Optional, Protocol, Sequence, Tuple, Union, runtime_checkable

import numpy
from spacy import registry

#: (original word index, English word index)
Pair = Tuple[int, int]
Words = Sequence[str]


@runtime_checkable
class Aligner(Protocol):
    """Aligns the words of sentence pairs; one call for many pairs, so an encoder batches them."""

    name: str

    def align(self, pairs: Sequence[Tuple[Words, Words]]) -> List[List[Pair]]:
        """pairs (Sequence[Tuple[Words, Words]]): (original words, English words) per sentence.
        RETURNS (List[List[Pair]]): per sentence, the aligned (original, English) word indices.
        """
        ...

    def signature(self) -> Dict[str, str]:
        """RETURNS (Dict[str, str]): the settings that change the alignment, for metrics files."""
        ...


def argmax_intersection(sim: numpy.ndarray, min_similarity: Optional[float] = None) -> List[Pair]:
    """The pairs (i, j) where j is row i's argmax and i is column j's argmax.

    sim (numpy.ndarray): (n_original, n_english) similarities; -inf marks a word that has no
        vector (it is never aligned).
    min_similarity (Optional[float]): also drop pairs whose similarity is below this.
    RETURNS (List[Pair]): the pairs, by original index.
    """
    sim = numpy.asarray(sim, dtype="float64")
    if sim.ndim != 2 or 0 in sim.shape:
        return []
    best_col = sim.argmax(axis=1)
    best_row = sim.argmax(axis=0)
    pairs = []
    for i, j in enumerate(best_col):
        score = sim[i, j]
        if best_row[j] != i or not numpy.isfinite(score):
            continue
        if min_similarity is not None and score < min_similarity:
            continue
        pairs.append((i, int(j)))
    return pairs


class LexicalAligner:
    """Aligns equal words (case-folded), the nearest position winning among repeats.

    Exact on identity translation; on real translations it only finds cognates, names and
    numbers, so it is a baseline and a test double, not a substitute for EncoderAligner.
    """

    name = "lexical"

    def align(self, pairs: Sequence[Tuple[Words, Words]]) -> List[List[Pair]]:
        out = []
        for src, tgt in pairs:
            if not src or not tgt:
                out.append([])
                continue
            a = [w.casefold() for w in src]
            b = [w.casefold() for w in tgt]
            equal = numpy.array([[x == y for y in b] for x in a], dtype="float64")
            # relative distance breaks ties between repeats ("el ... el") without ever
            # outweighing a match (it stays below 1)
            pos_a = numpy.arange(len(a))[:, None] / max(len(a) - 1, 1)
            pos_b = numpy.arange(len(b))[None, :] / max(len(b) - 1, 1)
            sim = equal - 0.5 * numpy.abs(pos_a - pos_b)
            out.append(argmax_intersection(sim, min_similarity=0.5))
        return out

    def signature(self) -> Dict[str, str]:
        return {"aligner": self.name, "version": "1"}


class EncoderAligner:
    """SimAlign argmax with a Hugging Face encoder, loaded on first use.

    encoder (Union[str, Path]): a Hugging Face model directory (assets/encoders/multilingual-e5-small).
    layer (int): hidden layer whose vectors are compared (0 = embeddings); the layers above
        it are dropped after loading, as they are never used.
    batch_size (int): sentences per encoder call.
    max_length (int): sub-words per sentence; words past it get no vector and stay unaligned.
    min_similarity (Optional[float]): drop mutual-argmax pairs below this cosine (None: keep all).
    device (str): torch device.
    """

    name = "simalign"

    def __init__(
        self,
        encoder: Union[str, Path],
        *,
        layer: int = 8,
        batch_size: int = 32,
        max_length: int = 256,
        min_similarity: Optional[float] = None,
        device: str = "cpu",
    ):
        if layer < 0:
            raise ValueError(f"layer must be 0 or more, got {layer}")
        self.encoder = Path(encoder)
        self.layer = layer
        self.batch_size = max(1, batch_size)
        self.max_length = max_length
        self.min_similarity = min_similarity
        self.device = device
        self._model = None
        self._tokenizer = None

    def _load(self) -> None:
        if self._model is not None:
            return
        if not (self.encoder / "config.json").is_file():
            raise FileNotFoundError(
                f"aligner encoder {self.encoder}: not a Hugging Face model directory (no config.json); "
                f"`spacy project assets` fetches assets/encoders/multilingual-e5-small"
            )
        from transformers import AutoModel, AutoTokenizer

        self._tokenizer = AutoTokenizer.from_pretrained(str(self.encoder), use_fast=True)
        model = AutoModel.from_pretrained(str(self.encoder))
        n_layers = model.config.num_hidden_layers
        if self.layer > n_layers:
            raise ValueError(f"aligner layer {self.layer}: {self.encoder} has only {n_layers} layers")
        layers = getattr(getattr(model, "encoder", None), "layer", None)
        if layers is not None:  # BERT/XLM-R layout: run only the layers below the one compared
            model.encoder.layer = layers[: self.layer]
        self._model = model.to(self.device).eval()

    def embed(self, sentences: Sequence[Words]) -> List[numpy.ndarray]:
        """RETURNS (List[numpy.ndarray]): per sentence, (n_words, dim) unit vectors; a word
        without sub-words (cut at max_length, or empty) has a row of NaN."""
        import torch

        self._load()
        out: List[numpy.ndarray] = []
        for i in range(0, len(sentences), self.batch_size):
            batch = [list(words) for words in sentences[i : i + self.batch_size]]
            enc = self._tokenizer(batch, is_split_into_words=True, truncation=True, max_length=self.max_length,
                                  padding=True, return_tensors="pt")
            with torch.no_grad():
                states = self._model(**{k: v.to(self.device) for k, v in enc.items()},
                                     output_hidden_states=True).hidden_states
            # hidden_states[0] is the embeddings; with the upper layers dropped, the last
            # state is the output of layer self.layer
            vectors = states[min(self.layer, len(states) - 1)].float().cpu().numpy()
            for b, words in enumerate(batch):
                out.append(_mean_by_word(vectors[b], enc.word_ids(b), len(words)))
        return out

    def align(self, pairs: Sequence[Tuple[Words, Words]]) -> List[List[Pair]]:
        if not pairs:
            return []
        flat = [words for pair in pairs for words in pair]
        nonempty = [i for i, words in enumerate(flat) if words]
        vectors: List[Optional[numpy.ndarray]] = [None] * len(flat)
        for i, vec in zip(nonempty, self.embed([flat[i] for i in nonempty])):
            vectors[i] = vec
        out = []
        for k in range(len(pairs)):
            a, b = vectors[2 * k], vectors[2 * k + 1]
            if a is None or b is None:
                out.append([])
                continue
            sim = a @ b.T
            sim[numpy.isnan(sim)] = -numpy.inf
            out.append(argmax_intersection(sim, self.min_similarity))
        return out

    def signature(self) -> Dict[str, str]:
        return {"aligner": self.name, "encoder": str(self.encoder), "layer": str(self.layer),
                "max_length": str(self.max_length), "min_similarity": str(self.min_similarity), "version": "1"}


def _mean_by_word(vectors: numpy.ndarray, word_ids: List[Optional[int]], n_words: int) -> numpy.ndarray:
    sums = numpy.zeros((n_words, vectors.shape[-1]), dtype="float64")
    counts = numpy.zeros(n_words)
    for pos, word in enumerate(word_ids):
        if word is not None:
            sums[word] += vectors[pos]
            counts[word] += 1
    with numpy.errstate(invalid="ignore", divide="ignore"):
        means = sums / counts[:, None]  # NaN rows: words without sub-words
        return means / numpy.linalg.norm(means, axis=1, keepdims=True)


@registry.misc("clinner.SimAligner.v1")
def make_sim_aligner(
    encoder: str = "assets/encoders/multilingual-e5-small",
    layer: int = 8,
    batch_size: int = 32,
    max_length: int = 256,
    min_similarity: Optional[float] = None,
    device: str = "cpu",
) -> Aligner:
    """SimAlign argmax word alignment with a multilingual encoder (EncoderAligner).

    encoder (str): Hugging Face model directory, relative to the working directory.
    layer (int): hidden layer compared (8 of e5-small's 12: middle layers align best).
    batch_size (int): sentences per encoder call.
    max_length (int): sub-words per sentence.
    min_similarity (Optional[float]): cosine floor for a pair (null: none, as SimAlign).
    device (str): torch device.
    """
    return EncoderAligner(encoder, layer=layer, batch_size=batch_size, max_length=max_length,
                          min_similarity=min_similarity, device=device)


@registry.misc("clinner.LexicalAligner.v1")
def make_lexical_aligner() -> Aligner:
    """Equal-word alignment (LexicalAligner): for tests and identity translation."""
    return LexicalAligner()
