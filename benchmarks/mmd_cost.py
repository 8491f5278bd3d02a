"""Cost of La-DTL's label-aware MMD term per training step (docs/mmd.md).

One batch of --tokens tokens (docs of --doc-length tokens, half marked source-domain, half
target-domain, about 15% of tokens inside entities of --labels labels), through the
feature-based head of configs/features (projection to 256 + BiLSTM 256 + softmax): the frozen
encoder's features are a fixed array per doc here, as the feature cache serves them in
training, so the step costs the head alone, as in a real run. Timed (median of --repeats):
- the MMD term alone (subsample, 19-kernel MMD^2 per label, gradient), on the BiLSTM output;
- a full clinner_ner.update with mmd_weight 0 and with mmd_weight 0.02.

Run (the numbers in docs/mmd.md; OMP_NUM_THREADS=1 as in this project's CPU runs):
    OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 python benchmarks/mmd_cost.py
"""
import argparse
import json
import statistics
import timeit
from typing import List

import numpy
import spacy
from spacy.tokens import Doc
from spacy.training import Example
from thinc.api import Model, fix_random_seed

from clinner_spacy.util import set_meta


def stub_features(width: int) -> Model:
    """Fixed random features per doc (by its first token's text), like cache hits of the
    frozen encoder's features."""
    table = {}

    def forward(model: Model, docs: List[Doc], is_train: bool):
        out = []
        for doc in docs:
            key = (doc[0].text if len(doc) else "", len(doc))
            if key not in table:
                table[key] = numpy.random.default_rng(len(table)).normal(size=(len(doc), width)).astype("f")
            out.append(model.ops.asarray2f(table[key]))
        return out, lambda dY: []

    return Model("stub_features", forward)


@spacy.registry.architectures("bench.StubFeatures.v1")
def make_stub(width: int = 768) -> Model:
    return stub_features(width)


def build(weight: float, feature_width: int, labels: List[str], examples: List[Example]):
    nlp = spacy.blank("xx")
    tok2vec = {"@architectures": "clinner.FeatureTok2Vec.v1", "width": 256, "depth": 1, "dropout": 0.2,
               "features": {"@architectures": "bench.StubFeatures.v1", "width": feature_width}}
    nlp.add_pipe("clinner_ner", config={"model": {"@architectures": "clinner.TokenTagger.v2", "tok2vec": tok2vec},
                                        "mmd_weight": weight})
    fix_random_seed(0)
    nlp.get_pipe("clinner_ner").initialize(lambda: examples, nlp=nlp, labels=labels)
    optimizer = nlp.create_optimizer()
    return nlp, optimizer


def make_examples(n_tokens: int, doc_length: int, labels: List[str]) -> List[Example]:
    nlp = spacy.blank("xx")
    rng = numpy.random.default_rng(0)
    out = []
    for i in range(n_tokens // doc_length):
        words = [f"w{i}_{j}" for j in range(doc_length)]
        tags = ["O"] * doc_length
        j = 0
        while j < doc_length - 3:
            if rng.random() < 0.07:
                label = labels[rng.integers(len(labels))]
                tags[j : j + 2] = [f"B-{label}", f"L-{label}"]
                j += 3
            else:
                j += 1
        eg = Example.from_dict(Doc(nlp.vocab, words=words), {"entities": tags})
        set_meta(eg.reference, train_domain="source" if i % 2 == 0 else "target")
        out.append(eg)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=2000, help="tokens per batch")
    parser.add_argument("--doc-length", type=int, default=200, help="tokens per doc")
    parser.add_argument("--labels", type=int, default=4, help="entity labels")
    parser.add_argument("--feature-width", type=int, default=768, help="width of the frozen features")
    parser.add_argument("--repeats", type=int, default=7, help="timed repeats (median reported)")
    args = parser.parse_args()
    labels = [f"L{i}" for i in range(args.labels)]
    examples = make_examples(args.tokens, args.doc_length, labels)
    result = {"tokens": sum(len(eg.predicted) for eg in examples), "labels": args.labels}

    nlp, optimizer = build(0.02, args.feature_width, labels, examples)
    ner = nlp.get_pipe("clinner_ner")
    vectors = [ner.model.ops.to_numpy(v) for v in ner.model.get_ref("tok2vec").predict([eg.predicted for eg in examples])]
    term = lambda: ner.mmd(examples, vectors, labels)  # noqa: E731
    term()
    result["mmd_term_ms"] = 1000 * statistics.median(timeit.repeat(term, number=1, repeat=args.repeats))
    for weight in (0.0, 0.02):
        nlp, optimizer = build(weight, args.feature_width, labels, examples)
        step = lambda: nlp.update(examples, sgd=optimizer, losses={})  # noqa: E731
        step()
        result[f"update_ms_weight_{weight}"] = 1000 * statistics.median(
            timeit.repeat(step, number=1, repeat=args.repeats))
    print(json.dumps({k: round(v, 1) if isinstance(v, float) else v for k, v in result.items()}))


if __name__ == "__main__":
    main()
