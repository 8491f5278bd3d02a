"""E3C layer 1 converted from ../shared/data matches the counts in its README.md.

Documents and sentences must match exactly; mentions must match once the spans that the
overlap policy reports as dropped are added back (nothing else may go missing). Counts are read
back from the written DocBins, so the test also covers what training will read.
"""
import pytest

from clinner_spacy.corpora.build import convert_corpus
from clinner_spacy.corpora.stats import corpus_stats

# ../shared/data/README.md, "Layer1 counts seen for E3C (docs / sentences / CLINENTITY / BODYPART)".
README_COUNTS = {
    "en": {"train": (36, 669, 463, 411), "test": (48, 851, 561, 557)},
    "es": {"train": (36, 455, 525, 353), "test": (45, 679, 820, 461)},
    "fr": {"train": (36, 504, 596, 316), "test": (45, 605, 731, 343)},
}


@pytest.mark.data
@pytest.mark.parametrize("lang", sorted(README_COUNTS))
def test_e3c_layer1_counts(shared_data, tmp_path, lang):
    name = f"e3c-{lang}"
    report = convert_corpus(name, data_dir=shared_data, output_dir=tmp_path, dev_fraction=0.2, seed=0)
    stats = corpus_stats(tmp_path / name)
    splits = stats["splits"]
    assert set(splits) == {"train", "dev", "test"}
    # The dev set is carved from the official train documents.
    assert splits["dev"]["documents"] == round(0.2 * README_COUNTS[lang]["train"][0])
    assert report.skipped == []
    for official, parts in (("train", ("train", "dev")), ("test", ("test",))):
        docs, sents, clinentity, bodypart = README_COUNTS[lang][official]
        assert sum(splits[p]["documents"] for p in parts) == docs
        assert sum(splits[p]["sentences"] for p in parts) == sents
        for label, expected in (("DISORDER", clinentity), ("ANATOMY", bodypart)):
            kept = sum(splits[p]["entities"].get(label, 0) for p in parts)
            dropped = sum(report.dropped(p, label) for p in parts)
            assert kept + dropped == expected, (official, label, kept, dropped)
            # The policy keeps the large majority of each label.
            assert kept >= 0.8 * expected
    # The report written beside the DocBins agrees with what was read back.
    assert stats["report"].splits == splits
