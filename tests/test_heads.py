"""`clinner heads` (project/heads.py, heads_measures.py, heads_table.py): the measures on a
hand-computed example and on tiny real pipelines, and the whole command with a fake `spacy train`
that copies a tiny pipeline into model-best."""
import json
import shutil
from pathlib import Path

import pytest
import spacy
import srsly
from spacy.tokens import DocBin
from spacy.training import Example
from typer.testing import CliRunner

from clinner_spacy.cli.app import load_commands
from clinner_spacy.evaluation.spans import DocSpans
from clinner_spacy.models.tiny import make_tiny_encoder
from clinner_spacy.project.heads import parse_heads, run_heads
from clinner_spacy.project.heads_measures import (
    belkadi_token_scores, count_params, feature_caches, token_prf, words_per_second,
)
from clinner_spacy.project.heads_table import MARKER, NOTE, check_page, heads_page, write_page
from clinner_spacy.util import set_meta

LABELS = ["DISORDER", "ANATOMY"]
TEXTS = [
    ("The patient has fever and cough.", [("fever", "DISORDER"), ("cough", "DISORDER")]),
    ("Pain in the chest and the head.", [("Pain", "DISORDER"), ("chest", "ANATOMY"), ("head", "ANATOMY")]),
    ("El paciente tiene dolor y fiebre.", [("dolor", "DISORDER"), ("fiebre", "DISORDER")]),
    ("Le patient a une douleur du bras.", [("douleur", "DISORDER"), ("bras", "ANATOMY")]),
]
SPANS = {"@span_getters": "spacy-transformers.strided_spans.v1", "window": 16, "stride": 12}
# the configs the fake training reads [paths] from; which pipeline it copies depends on the name
CONFIG = """
[paths]
train = null
dev = null
{encoder}log = null

[system]
seed = 0

[training]
max_steps = 100
eval_frequency = 10
"""


def make_doc(nlp, text, ents, doc_id):
    doc = nlp.make_doc(text)
    doc.ents = [doc.char_span(text.index(word), text.index(word) + len(word), label=label) for word, label in ents]
    return set_meta(doc, corpus="e3c", doc_id=doc_id, annotated_labels=LABELS)


def train_tiny(nlp, steps=5):
    examples = [Example(nlp.make_doc(doc.text), doc) for doc in
                (make_doc(nlp, t, e, str(i)) for i, (t, e) in enumerate(TEXTS))]
    optimizer = nlp.initialize(lambda: examples)
    for _ in range(steps):
        nlp.update(examples, sgd=optimizer)
    return nlp


@pytest.fixture(scope="module")
def pipelines(tmp_path_factory):
    """A clinner_ner softmax head over tiny frozen features, and spaCy's CNN ner, saved."""
    root = tmp_path_factory.mktemp("pipelines")
    encoder = make_tiny_encoder(root / "encoder", hidden=16, layers=2)
    feats = {"@architectures": "clinner.FrozenTransformerFeatures.v1", "name": str(encoder), "get_spans": SPANS,
             "pooling": {"@layers": "reduce_mean.v1"}, "tokenizer_config": {"use_fast": True}}
    tok2vec = {"@architectures": "clinner.FeatureTok2Vec.v1", "features": feats, "width": 8, "depth": 1,
               "dropout": 0.1}
    softmax = spacy.blank("xx")
    softmax.add_pipe("clinner_ner", config={"model": {"@architectures": "clinner.TokenTagger.v2", "tok2vec": tok2vec}})
    train_tiny(softmax).to_disk(root / "softmax")
    cnn = spacy.blank("xx")
    cnn.add_pipe("ner")
    train_tiny(cnn).to_disk(root / "cnn")
    return {"encoder": encoder, "softmax": root / "softmax", "cnn": root / "cnn"}


def fake_train(calls, pipelines):
    """A `spacy train` that copies the tiny pipeline of its config's head and writes a dev curve."""
    def execute(cmd):
        calls.append(cmd)
        args = dict(zip(cmd[5::2], cmd[6::2]))
        out = Path(args["--output"])
        source = pipelines["cnn" if "cnn" in cmd[4] else "softmax"]
        shutil.copytree(source, out / "model-best")
        with open(args["--paths.log"], "w", encoding="utf8") as fileh:
            for step, score in ((10, 0.2), (20, 0.4), (30, 0.3)):
                fileh.write(json.dumps({"step": step, "epoch": 0, "score": score, "losses": {"ner": 1.0}}) + "\n")
        return 0
    return execute


@pytest.fixture
def project(tmp_path, monkeypatch, pipelines):
    monkeypatch.chdir(tmp_path)
    Path("configs").mkdir()
    Path("configs/softmax.cfg").write_text(CONFIG.format(encoder="encoder = null\n"))
    Path("configs/cnn.cfg").write_text(CONFIG.format(encoder=""))
    nlp = spacy.blank("xx")
    for lang in ("es", "fr"):
        for split, idx in (("train", [0, 1, 2, 3]), ("dev", [0, 2]), ("test", [1, 2, 3])):
            db = DocBin(store_user_data=True,
                        docs=[make_doc(nlp, *TEXTS[i], f"{lang}{split}{i}") for i in idx])
            Path(f"corpus/e3c-{lang}").mkdir(parents=True, exist_ok=True)
            db.to_disk(f"corpus/e3c-{lang}/{split}.spacy")
    return tmp_path


def run(pipelines, calls, **kw):
    settings = dict(heads={"softmax": "configs/softmax.cfg", "spacy_cnn": "configs/cnn.cfg"}, langs=["es", "fr"],
                    seeds=[1], corpus_dir="corpus", encoder=str(pipelines["encoder"]), max_steps=30,
                    eval_frequency=10, patience=None, output_dir="training/heads", metrics_dir="metrics/heads",
                    labels=LABELS, n_bootstrap=50)
    settings.update(kw)
    return run_heads(**settings, execute=fake_train(calls, pipelines))


# ------------------------------------------------------------------ the token-level measure
def test_token_prf_hand_example():
    """Worked by hand: classes B-A, B-D, I-D, O with F1 2/3, 1, 0 (never predicted), 1/2."""
    gold = ["B-D", "I-D", "O", "O", "B-A"]
    pred = ["B-D", "O", "O", "B-A", "B-A"]
    scores = token_prf(gold, pred)
    assert scores["per_class"]["B-A"] == {"p": 0.5, "r": 1.0, "f": pytest.approx(2 / 3), "support": 1}
    assert scores["per_class"]["I-D"] == {"p": 0.0, "r": 0.0, "f": 0.0, "support": 1}
    assert scores["per_class"]["O"]["f"] == 0.5
    assert scores["macro"] == pytest.approx({"p": 0.5, "r": 0.625, "f": (2 / 3 + 1 + 0 + 0.5) / 4})
    assert scores["weighted"] == pytest.approx({"p": 0.5, "r": 0.6, "f": (2 / 3 + 1 + 0 + 2 * 0.5) / 5})
    assert scores["accuracy"] == 0.6 and scores["n_tokens"] == 5


def test_token_prf_agrees_with_sklearn_when_installed():
    metrics = pytest.importorskip("sklearn.metrics")
    gold = ["O", "B-D", "I-D", "I-D", "O", "B-A", "O", "B-D", "O"]
    pred = ["B-D", "B-D", "I-D", "O", "O", "B-A", "I-A", "O", "O"]
    scores = token_prf(gold, pred)
    for average in ("macro", "weighted"):
        p, r, f, _ = metrics.precision_recall_fscore_support(gold, pred, average=average, zero_division=0)
        assert scores[average] == pytest.approx({"p": p, "r": r, "f": f})


def test_belkadi_tags_come_from_the_scored_spans_on_gold_tokens():
    nlp = spacy.blank("xx")
    doc = make_doc(nlp, "Pain in the chest and the head.", [("Pain", "DISORDER"), ("chest", "ANATOMY")], "d")
    spans = DocSpans("d", gold={(0, 4, "DISORDER"), (12, 17, "ANATOMY")}, pred={(0, 11, "DISORDER")})
    scores = belkadi_token_scores([doc], [spans])
    # gold: B-DIS O O B-ANA O O O O; pred: B-DIS I-DIS I-DIS O O O O O
    assert scores["per_class"]["B-DISORDER"]["f"] == 1.0
    assert scores["per_class"]["I-DISORDER"] == {"p": 0.0, "r": 0.0, "f": 0.0, "support": 0}
    assert scores["accuracy"] == 5 / 8 and "spaCy tokens" in scores["tokens"]


# ------------------------------------------------------------------ speed and parameters
def test_count_params_leaves_the_frozen_encoder_out(pipelines):
    from transformers import AutoModel

    nlp = spacy.load(pipelines["softmax"])
    params = count_params(nlp)
    encoder = sum(p.numel() for p in AutoModel.from_pretrained(str(pipelines["encoder"])).parameters())
    assert params["encoder"] == encoder
    # thinc's PyTorchLSTM(nO=8, nI=8, bi): 2 directions x (4 gates x 4 x (8 + 4) weights + 2 x 4 x 4 biases)
    assert params["torch"] == 2 * (4 * 4 * (8 + 4) + 2 * 4 * 4)
    assert params["thinc"] > 0 and params["trainable"] == params["thinc"] + params["torch"]
    cnn = count_params(spacy.load(pipelines["cnn"]))
    assert cnn["encoder"] is None and cnn["torch"] == 0
    model = spacy.load(pipelines["cnn"]).get_pipe("ner").model
    assert cnn["thinc"] == sum(n.get_param(p).size for n in model.walk() for p in n.param_names if n.has_param(p))


def test_words_per_second_times_the_encoder(pipelines):
    nlp = spacy.load(pipelines["softmax"])
    texts = [t for t, _ in TEXTS]
    speed = words_per_second(nlp, texts, repeats=2)
    (cache,) = feature_caches(nlp)
    # the cache is cleared before each timed pass: every doc misses in the warm-up and both passes
    assert cache.misses == 3 * len(texts) and cache.hits == 0
    assert speed["feature_caches_cleared"] == 1 and len(speed["seconds"]) == 2 and speed["words_per_s"] > 0
    assert speed["words"] == sum(len(nlp.make_doc(t)) for t in texts)
    cnn = words_per_second(spacy.load(pipelines["cnn"]), texts, repeats=1)
    assert cnn["feature_caches_cleared"] == 0 and cnn["words_per_s"] > 0


# ------------------------------------------------------------------ the command
def test_parse_heads(project):
    assert parse_heads("softmax=configs/softmax.cfg, spacy_cnn=configs/cnn.cfg") == {
        "softmax": "configs/softmax.cfg", "spacy_cnn": "configs/cnn.cfg"}
    for spec, error in (("softmax", "not name=config"), ("Soft=configs/cnn.cfg", "lowercase"),
                        ("a=configs/cnn.cfg a=configs/cnn.cfg", "twice"), ("", "no head")):
        with pytest.raises(ValueError, match=error):
            parse_heads(spec)
    with pytest.raises(FileNotFoundError, match="crf=configs/crf.cfg: no such config"):
        parse_heads("crf=configs/crf.cfg")


def test_heads_train_score_and_page(project, pipelines):
    calls = []
    rows = run(pipelines, calls)
    assert len(calls) == 4 and {status for _, status, _ in rows} == {"score"}
    # trained exactly as the main plan's target_only arm at k = all: every train doc, dev for model-best
    cmd = dict(zip(calls[0][5::2], calls[0][6::2]))
    assert cmd["--paths.dev"] == "corpus/e3c-es/dev.spacy" and cmd["--training.max_steps"] == "30"
    info = srsly.read_json("training/heads/softmax/es/s1/run.json")
    assert info["n_docs"] == 4 and info["curve"]["best_step"] == 20
    metrics = srsly.read_json("metrics/heads/es/softmax_s1.json")
    for key in ("strict", "lenient", "bootstrap", "doc_counts", "token_level_belkadi", "speed", "params"):
        assert metrics[key], key
    assert metrics["run"]["arm"] == "softmax" and metrics["run"]["k"] == "all"
    assert metrics["updates"] == {"best_step": 20, "last_step": 30}
    assert metrics["strict_lenient_gap"] == pytest.approx(metrics["lenient"]["micro"]["f"]
                                                          - metrics["strict"]["micro"]["f"])
    assert srsly.read_json("metrics/heads/fr/spacy_cnn_s1.json")["params"]["encoder"] is None
    page = heads_page("metrics/heads", heads=["softmax", "spacy_cnn"], langs=["es", "fr"], seeds=[1],
                      command="python -m clinner_spacy heads --langs 'es fr'", n_bootstrap=50)
    lines = page.splitlines()
    assert lines[0] == MARKER and "CPUs" in page and "python -m clinner_spacy heads --langs 'es fr'" in page
    rows_md = [line for line in lines if line.startswith(("| es |", "| fr |"))]
    table = rows_md[:4]
    assert [line.split(" | ")[:2] for line in table] == [["| es", "softmax"], ["| es", "spacy_cnn"],
                                                         ["| fr", "softmax"], ["| fr", "spacy_cnn"]]
    assert all(len(line.split(" | ")) == 13 for line in table)
    assert NOTE.splitlines()[0] in page and "sub-word tokens" in page
    assert "## Gain over softmax" in page and len(rows_md) == 6  # + one gain row per language
    # a second run is up to date: nothing trained, nothing scored
    again = []
    assert {status for _, status, _ in run(pipelines, again)} == {"skip"} and again == []


def test_heads_refuse_outputs_from_other_inputs(project, pipelines):
    run(pipelines, [])
    with pytest.raises(FileExistsError, match="(?s)--force.*training/heads/softmax/es/s1 "):
        run(pipelines, [], max_steps=40)
    calls = []
    run(pipelines, calls, max_steps=40, force=True)
    assert len(calls) == 4
    with pytest.raises(FileExistsError, match="metrics/heads/es/softmax_s1.json"):
        run(pipelines, [], max_steps=40, n_bootstrap=20)
    # the page: one written by clinner heads is rebuilt; any other file only with force
    write_page("docs/heads.md", MARKER + "\nold\n")
    check_page("docs/heads.md")
    Path("docs/other.md").write_text("# notes of mine\n")
    with pytest.raises(FileExistsError, match="docs/other.md.*--force"):
        write_page("docs/other.md", "new")
    write_page("docs/other.md", MARKER + "\nnew\n", force=True)


def test_cli_reports_bad_input(project):
    runner = CliRunner()
    result = runner.invoke(load_commands(), ["heads", "--heads", "softmax"])
    assert result.exit_code == 1 and "not name=config" in result.output
    result = runner.invoke(load_commands(), ["heads", "--heads", "softmax=configs/softmax.cfg", "--langs", "de"])
    assert result.exit_code == 1 and "corpus/e3c-de/train.spacy" in result.output
    result = runner.invoke(load_commands(), ["heads", "--heads", "softmax=configs/softmax.cfg"])
    assert result.exit_code == 1 and "give --encoder" in result.output
    Path("docs").mkdir()
    Path("docs/heads.md").write_text("# hand-written\n")
    result = runner.invoke(load_commands(), ["heads", "--heads", "spacy_cnn=configs/cnn.cfg"])
    assert result.exit_code == 1 and "not written by `clinner heads`" in result.output
    result = runner.invoke(load_commands(), ["heads", "--patience", "15"])
    assert result.exit_code == 1 and "multiple of --eval-frequency" in result.output
