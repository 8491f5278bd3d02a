"""clinner.MixedCorpus.v1: a training corpus of source-domain and target-domain docs, mixed.

Why: La-DTL's label-aware MMD (pipeline/mmd.py) compares the two domains within a batch, so one
training run has to see both: the translated documents (source domain: English) and the k
target documents. Each file is read by spaCy's own Corpus (whole docs, max_length 0, which
keeps doc.user_data with the annotated_labels of partial-label training), each reference doc
is marked meta[domain_key] = "source" or "target" by the file it came from, and the two are
shuffled together (seeded; a new order at each call, i.e. each epoch when spaCy streams the
corpus). With upsample, the smaller side is repeated (as copies) to about the larger one's
count: with k = 10 target docs beside hundreds of translated ones, batches would otherwise
rarely hold a target doc, and the term would rarely run. That also weighs the target docs'
supervised loss up; docs/mmd.md names the control arm (the same corpus with mmd weight 0).
"""
import random
from pathlib import Path
from typing import Callable, Iterator, List, Optional

from spacy import registry
from spacy.language import Language
from spacy.training import Corpus, Example

from ..pipeline.mmd import DOMAIN_META, SOURCE, TARGET
from ..util import set_meta


@registry.readers("clinner.MixedCorpus.v1")
def create_mixed_corpus(
    source_path: Optional[Path],
    target_path: Optional[Path],
    upsample: bool = True,
    shuffle: bool = True,
    seed: int = 0,
    domain_key: str = DOMAIN_META,
    gold_preproc: bool = False,
    limit: int = 0,
) -> Callable[[Language], Iterator[Example]]:
    """Create a reader of two DocBins, one per domain, yielding their examples mixed.

    source_path (Optional[Path]): the source-domain docs (translated documents), a .spacy file
        or a folder of them.
    target_path (Optional[Path]): the target-domain docs (the k target documents).
    upsample (bool): repeat the smaller side's docs to about the larger side's count.
    shuffle (bool): shuffle the mixed examples (seeded) at each call.
    seed (int): seed of the shuffling.
    domain_key (str): clinner metadata key written on each reference doc ("source"/"target").
    gold_preproc (bool): as spacy.Corpus.v1.
    limit (int): read at most this many docs per file (0: all), as spacy.Corpus.v1.
    RETURNS (Callable[[Language], Iterator[Example]]): the corpus.
    """
    return MixedCorpus(source_path, target_path, upsample=upsample, shuffle=shuffle, seed=seed,
                       domain_key=domain_key, gold_preproc=gold_preproc, limit=limit)


class MixedCorpus:
    """Source-domain and target-domain examples, marked by domain and mixed."""

    def __init__(
        self,
        source_path: Optional[Path],
        target_path: Optional[Path],
        *,
        upsample: bool = True,
        shuffle: bool = True,
        seed: int = 0,
        domain_key: str = DOMAIN_META,
        gold_preproc: bool = False,
        limit: int = 0,
    ) -> None:
        """See create_mixed_corpus. Raises ValueError naming a path that is unset or missing."""
        self.paths = {SOURCE: _existing(source_path, "source_path", "paths.train"),
                      TARGET: _existing(target_path, "target_path", "paths.target_train")}
        self.corpora = {domain: Corpus(path, max_length=0, gold_preproc=gold_preproc, limit=limit)
                        for domain, path in self.paths.items()}
        self.upsample = upsample
        self.shuffle = shuffle
        self.domain_key = domain_key
        self.rng = random.Random(seed)

    def __call__(self, nlp: Language) -> Iterator[Example]:
        """Yield the examples of both files, marked by domain, mixed.

        nlp (Language): the pipeline (for its tokenizer).
        YIELDS (Example): the examples.
        """
        sides = {}
        for domain, corpus in self.corpora.items():
            examples = list(corpus(nlp))
            if not examples:
                raise ValueError(f"clinner.MixedCorpus.v1: no docs in the {domain} file {self.paths[domain]}")
            for eg in examples:
                set_meta(eg.reference, **{self.domain_key: domain})
            sides[domain] = examples
        if self.upsample:
            small, large = sorted(sides, key=lambda d: len(sides[d]))
            sides[small] = _repeat(sides[small], len(sides[large]))
        mixed = sides[SOURCE] + sides[TARGET]
        if self.shuffle:
            self.rng.shuffle(mixed)
        yield from mixed


def _repeat(examples: List[Example], count: int) -> List[Example]:
    """The examples, then copies of them, round(count / len) times in all (at least once)."""
    times = max(1, round(count / len(examples)))
    return examples + [eg.copy() for _ in range(times - 1) for eg in examples]


def _existing(path: Optional[Path], arg: str, config_path: str) -> Path:
    if path is None:
        raise ValueError(f"clinner.MixedCorpus.v1: {arg} is not set (set {config_path}, e.g. --{config_path} PATH)")
    path = Path(path)
    if not path.exists():
        raise ValueError(f"clinner.MixedCorpus.v1: {arg} {str(path)!r} does not exist ({config_path})")
    return path
