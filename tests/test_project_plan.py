"""The experiment plan, the arm runner (with a fake `spacy train`), source data and plan evaluation."""
import json
import shutil
from pathlib import Path

import pytest
import spacy
import srsly
from spacy.tokens import DocBin

from clinner_spacy.project.evaluate import evaluate_plan
from clinner_spacy.project.plan import Plan, make_plan, parse_list
from clinner_spacy.project.runner import run_arm, run_signature, train_command
from clinner_spacy.project.source_data import build_source_data
from clinner_spacy.util import get_meta, set_meta

CONFIG = """
[paths]
train = null
dev = null
encoder = null
source_model = null

[system]
seed = 0

[training]
max_steps = 2000
eval_frequency = 200

[training.optimizer]

[training.optimizer.learn_rate]
warmup_steps = 200
initial_rate = 0.00002
"""


NLP = spacy.blank("en")


def _docbin(path: Path, n: int, corpus: str = "c", labels=("DISORDER",)) -> None:
    nlp = NLP
    db = DocBin(store_user_data=True)
    for i in range(n):
        doc = nlp(f"patient {i} has fever")
        doc.ents = [doc.char_span(doc.text.index("fever"), len(doc.text), label="DISORDER")]
        db.add(set_meta(doc, corpus=corpus, doc_id=f"{corpus}{i}", annotated_labels=list(labels)))
    path.parent.mkdir(parents=True, exist_ok=True)
    db.to_disk(path)


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name in ("source", "target_only", "transfer"):
        Path("configs").mkdir(exist_ok=True)
        Path(f"configs/{name}.cfg").write_text(CONFIG)
    for lang in ("en", "es"):
        for split, n in (("train", 12), ("dev", 3), ("test", 4)):
            _docbin(Path(f"corpus/e3c-{lang}/{split}.spacy"), n, corpus=f"e3c-{lang}")
    for split in ("train", "dev"):
        _docbin(Path(f"corpus/source/{split}.spacy"), 5)
        _docbin(Path(f"translated/apertium/es/{split}.spacy"), 5)
    plan = make_plan(profile="quick", langs=["es"], ks=["5", "all"], seeds=[1], max_steps=30, eval_frequency=10,
                     translator="apertium")
    plan.to_disk("training/quick/plan.json")
    return tmp_path


def fake_train(calls):
    def execute(cmd):
        calls.append(cmd)
        out = Path(cmd[cmd.index("--output") + 1])
        (out / "model-best").mkdir(parents=True)
        (out / "model-last").mkdir()
        srsly.write_json(out / "model-best" / "meta.json", {"performance": {"ents_f": 0.5}})
        return 0
    return execute


def test_parse_list():
    assert parse_list("10, all") == ["10", "all"]
    assert parse_list("5 10 20 all") == ["5", "10", "20", "all"]
    with pytest.raises(ValueError, match="ten"):
        parse_list("ten")


def test_plan_runs_and_evaluations():
    plan = make_plan(profile="full", langs=["es", "fr"], ks=["5", "10", "20", "all"], seeds=[1, 2, 3],
                     max_steps=100, eval_frequency=10, translator="apertium")
    # per seed: 1 source + per language (4 target-only + 1 transfer + 4 transfer + k)
    assert len(plan.runs) == 3 * (1 + 2 * 9)
    # every trained run is scored, plus zero-shot per language and the source on English test
    assert len(plan.evaluations) == 3 * (1 + 2 + 2 * 9)
    tk = plan.select(arm="transfer_k", lang="fr")[0]
    assert tk.source_model == "training/full/transfer/fr/s1/model-best"
    assert tk.train.startswith("training/full/transfer_k/fr/k5_s1/") and tk.subset_of == "corpus/e3c-fr/train.spacy"
    outputs = [e.output for e in plan.evaluations]
    assert len(set(outputs)) == len(outputs)
    assert "metrics/full/es/zero_shot_s2.json" in outputs and "metrics/full/en/source_s3.json" in outputs


def test_plan_round_trip(tmp_path):
    plan = make_plan(profile="quick", langs=["es"], ks=["10"], seeds=[1], max_steps=5, eval_frequency=5,
                     translator="nllb")
    plan.to_disk(tmp_path / "plan.json")
    again = Plan.from_disk(tmp_path / "plan.json")
    assert again == plan
    assert "translated/nllb/es/train.spacy" in [r.train for r in again.runs]


def test_train_command_sets_declared_paths_and_warmup(project):
    plan = Plan.from_disk("training/quick/plan.json")
    plan.settings["encoder"] = "assets/enc"
    run = plan.select(arm="transfer", lang="es")[0]
    cmd = train_command(run, plan.settings)
    args = dict(zip(cmd[5::2], cmd[6::2]))
    assert args["--paths.source_model"] == "training/quick/source/s1/model-best"
    assert args["--paths.encoder"] == "assets/enc"
    assert args["--training.max_steps"] == "30" and args["--training.optimizer.learn_rate.warmup_steps"] == "3"
    assert args["--system.seed"] == "1"


def test_run_arm_trains_then_skips_then_redoes_changed(project):
    plan = Plan.from_disk("training/quick/plan.json")
    calls = []
    records = run_arm(plan, arm="target_only", execute=fake_train(calls))
    assert [r["status"] for r in records] == ["train", "train"]
    assert [r["n_docs"] for r in records] == [5, 12]
    k5 = list(DocBin().from_disk("training/quick/target_only/es/k5_s1/train.spacy").get_docs(NLP.vocab))
    kall = list(DocBin().from_disk("training/quick/target_only/es/kall_s1/train.spacy").get_docs(NLP.vocab))
    assert {get_meta(d, "doc_id") for d in k5} <= {get_meta(d, "doc_id") for d in kall}  # nested
    assert not Path("training/quick/target_only/es/k5_s1/model-last").exists()
    info = json.loads(Path("training/quick/target_only/es/k5_s1/run.json").read_text())
    assert info["dev_performance"] == {"ents_f": 0.5}
    # unchanged inputs: nothing trains
    assert [r["status"] for r in run_arm(plan, arm="target_only", execute=fake_train(calls))] == ["skip", "skip"]
    # a changed config: every run of the arm is redone
    Path("configs/target_only.cfg").write_text(CONFIG.replace("2000", "3000"))
    assert [r["status"] for r in run_arm(plan, arm="target_only", execute=fake_train(calls))] == ["train", "train"]
    assert len(calls) == 4


def test_run_arm_redoes_runs_and_scores_when_code_changes(project, monkeypatch):
    """A change of the code that trains or scores (project/signature.code_stamp) redoes both."""
    from clinner_spacy.project import evaluate as project_evaluate
    from clinner_spacy.project import runner

    plan = Plan.from_disk("training/quick/plan.json")
    calls = []

    def score(model, gold, labels, n_bootstrap):
        return {"strict": {"micro": {"f": 0.5}}}

    first = Plan(profile="quick", evaluations=plan.evaluations[:1])  # the source model on E3C-en test
    assert first.evaluations[0].arm == "source"
    for status in ("train", "skip"):
        assert [r["status"] for r in run_arm(plan, arm="source", execute=fake_train(calls))] == [status]
    for status in ("score", "skip"):
        assert [r["status"] for r in evaluate_plan(first, labels=["DISORDER"], n_bootstrap=1, score=score)] == [status]
    monkeypatch.setattr(runner, "code_stamp", lambda: "edited model code")
    monkeypatch.setattr(project_evaluate, "code_stamp", lambda: "edited model code")
    assert [r["status"] for r in run_arm(plan, arm="source", execute=fake_train(calls))] == ["train"]
    assert [r["status"] for r in evaluate_plan(first, labels=["DISORDER"], n_bootstrap=1, score=score)] == ["score"]


def test_run_arm_failure_is_reported(project):
    plan = Plan.from_disk("training/quick/plan.json")
    with pytest.raises(RuntimeError, match="training source_en_s1 failed"):
        run_arm(plan, arm="source", execute=lambda cmd: 1)
    with pytest.raises(ValueError, match="no runs"):
        run_arm(plan, arm="source", lang="fr", execute=lambda cmd: 0)


def test_source_model_change_propagates(project):
    plan = Plan.from_disk("training/quick/plan.json")
    calls = []
    run_arm(plan, arm="source", execute=fake_train(calls))
    run_arm(plan, arm="transfer", execute=fake_train(calls))
    assert run_arm(plan, arm="transfer", execute=fake_train(calls))[0]["status"] == "skip"
    Path("corpus/source/train.spacy").unlink()
    _docbin(Path("corpus/source/train.spacy"), 7)
    assert run_arm(plan, arm="source", execute=fake_train(calls))[0]["status"] == "train"
    assert run_arm(plan, arm="transfer", execute=fake_train(calls))[0]["status"] == "train"


def test_build_source_data_keeps_metadata(project):
    _docbin(Path("corpus/ncbi-disease/train.spacy"), 4, corpus="ncbi", labels=("DISORDER",))
    counts = build_source_data(corpus_dir="corpus", corpora=["e3c-en", "ncbi-disease", "e3c-en"],
                               dev_corpus="e3c-en", output_dir="out")
    assert counts == {"train": 16, "dev": 3}
    docs = list(DocBin().from_disk("out/train.spacy").get_docs(NLP.vocab))
    assert get_meta(docs[-1], "corpus") == "ncbi" and list(get_meta(docs[-1], "annotated_labels")) == ["DISORDER"]
    with pytest.raises(FileNotFoundError, match="bc5cdr"):
        build_source_data(corpus_dir="corpus", corpora=["bc5cdr"], dev_corpus="e3c-en", output_dir="out")


def test_evaluate_plan_scores_then_skips(project):
    plan = Plan.from_disk("training/quick/plan.json")
    for arm in ("source", "target_only", "transfer", "transfer_k"):
        run_arm(plan, arm=arm, execute=fake_train([]))
    scored = []

    def score(model, gold, labels, n_bootstrap):
        scored.append((model, gold))
        return {"strict": {"micro": {"p": 0.5, "r": 0.5, "f": 0.5}}, "labels": list(labels)}

    rows = evaluate_plan(plan, labels=["DISORDER"], n_bootstrap=10, score=score)
    assert len(rows) == len(plan.evaluations) == 1 + 1 + 2 + 1 + 2
    assert ("training/quick/source/s1/model-best", "corpus/e3c-es/test.spacy") in scored  # zero-shot
    data = srsly.read_json("metrics/quick/es/transfer_k_kall_s1.json")
    assert data["run"]["arm"] == "transfer_k" and data["run"]["k"] == "all" and data["run"]["n_docs"] == 12
    again = evaluate_plan(plan, labels=["DISORDER"], n_bootstrap=10, score=score)
    assert {r["status"] for r in again} == {"skip"}
    assert {r["status"] for r in evaluate_plan(plan, labels=["DISORDER", "ANATOMY"], n_bootstrap=10,
                                               score=score)} == {"score"}


def test_profile_overrides_reach_the_command_and_the_signature(project):
    from clinner_spacy.project.runner import run_signature

    plan = Plan.from_disk("training/quick/plan.json")
    run = plan.select(arm="source")[0]
    before = run_signature(run, plan.settings)
    plan.settings["overrides"] = ["--training.optimizer.learn_rate.initial_rate", "0.0001",
                                  "--components.transformer.model.freeze_embeddings", "true"]
    cmd = train_command(run, plan.settings)
    # a key the config lacks is left out (freezing lives elsewhere in transfer.cfg)
    assert cmd[-2:] == ["--training.optimizer.learn_rate.initial_rate", "0.0001"]
    assert run_signature(run, plan.settings) != before


def test_oversize_training_docs_are_reported_not_silently_discarded(project, caplog):
    """spaCy's batch_by_padded drops docs longer than the batch size when discard_oversize is
    set; the runner names them in a warning and in run.json."""
    Path("configs/target_only.cfg").write_text(CONFIG + "\n[training.batcher]\ndiscard_oversize = true\nsize = 2000\n")
    plan = Plan.from_disk("training/quick/plan.json")
    plan.settings["overrides"] = ["--training.batcher.size", "3"]  # "patient 0 has fever": 4 tokens
    with caplog.at_level("WARNING", logger="clinner_spacy"):
        records = run_arm(plan, arm="target_only", execute=fake_train([]))
    assert "spaCy will discard them" in caplog.text
    assert len(records[0]["oversize_docs_discarded"]) == 5 and len(records[1]["oversize_docs_discarded"]) == 12
    assert all(name.startswith("e3c-es") for name in records[1]["oversize_docs_discarded"])
    plan.settings["overrides"] = ["--training.batcher.size", "1000"]
    assert all("oversize_docs_discarded" not in r for r in run_arm(plan, arm="target_only", execute=fake_train([])))


def test_baseline_arm_patience_and_dev_curve(project):
    """The baseline arm trains on the same k documents as target-only; patience and the dev-curve
    log reach the command; the runner records where each run stopped."""
    Path("configs/baseline.cfg").write_text(CONFIG.replace("source_model = null", "source_model = null\nlog = null"))
    plan = make_plan(profile="quick", langs=["es"], ks=["5", "all"], seeds=[1], max_steps=100, eval_frequency=10,
                     translator="apertium", patience=20, baseline_config="configs/baseline.cfg")
    base = plan.select(arm="baseline")
    assert [(r.k, r.subset_of) for r in base] == [(k, "corpus/e3c-es/train.spacy") for k in ("5", "all")]
    assert {(e.arm, e.k) for e in plan.evaluations} >= {("baseline", "5"), ("baseline", "all")}
    cmd = train_command(base[0], plan.settings)
    args = dict(zip(cmd[5::2], cmd[6::2]))
    assert args["--training.patience"] == "20" and args["--paths.log"] == base[0].log

    def train_with_log(cmd):
        fake_train([])(cmd)
        out = Path(cmd[cmd.index("--output") + 1])
        rows = [{"step": s, "epoch": 0, "losses": {"ner": 1.0}, "score": f} for s, f in
                ((0, 0.0), (10, 0.4), (20, 0.5), (30, 0.45), (40, 0.44))]
        (out / "train_log.jsonl").write_text("\n".join(json.dumps(r) for r in rows))
        return 0

    records = run_arm(plan, arm="baseline", execute=train_with_log)
    assert records[0]["curve"] == {"evaluations": 5, "best_step": 20, "best_score": 50.0, "last_step": 40,
                                   "stopped_by": "patience"}
    # the k-subsets are the target-only ones (the same nested draw for the same seed)
    run_arm(plan, arm="target_only", execute=fake_train([]))
    ids = [{get_meta(d, "doc_id") for d in DocBin().from_disk(f"training/quick/{arm}/es/k5_s1/train.spacy")
            .get_docs(NLP.vocab)} for arm in ("baseline", "target_only")]
    assert ids[0] == ids[1]


def test_curve_reader_names_the_bad_line(tmp_path):
    from clinner_spacy.project.curve import read_curve, summarize_curve

    path = tmp_path / "log.jsonl"
    path.write_text('{"step": 0, "score": 0.1, "losses": {}}\n{"step": "x"}\n')
    with pytest.raises(ValueError, match="log.jsonl:line 2"):
        read_curve(path)
    path.write_text('{"step": 0, "score": 0.1, "losses": {}}\n{"step": 10, "score": 0.3, "losses": {}}\n')
    assert summarize_curve(read_curve(path), max_steps=10, patience=100)["stopped_by"] == "max_steps"
    assert summarize_curve([], max_steps=10, patience=None)["evaluations"] == 0


def test_run_arm_trains_runs_side_by_side_with_jobs(project):
    """jobs=2: both runs train (each writing its console output to <output>/train.out), the
    records come back in plan order, and a failing run names its output file."""
    plan = Plan.from_disk("training/quick/plan.json")
    calls, logs = [], []
    train = fake_train(calls)

    def execute(cmd, log=None):
        logs.append(log)
        return train(cmd)

    records = run_arm(plan, arm="target_only", execute=execute, jobs=2)
    assert [r["name"] for r in records] == [r.name for r in plan.select(arm="target_only")]
    assert [r["status"] for r in records] == ["train", "train"] and {r["jobs"] for r in records} == {2}
    assert sorted(str(p) for p in logs) == sorted(f"{r.output}/train.out" for r in plan.select(arm="target_only"))
    shutil.rmtree("training/quick/target_only")
    with pytest.raises(RuntimeError, match="train.out"):
        run_arm(plan, arm="target_only", execute=lambda cmd, log=None: 1, jobs=2)
    with pytest.raises(ValueError, match="jobs"):
        run_arm(plan, arm="transfer", jobs=0)


def test_source_runs_get_their_own_patience():
    plan = make_plan(profile="quick", langs=["es"], ks=["all"], seeds=[1], max_steps=100, eval_frequency=20,
                     translator="apertium", patience=200, source_patience=400)
    assert {r.patience for r in plan.select(arm="source")} == {400}
    assert {r.patience for r in plan.runs if r.arm != "source"} == {200}
    assert plan.settings["source_patience"] == 400
    same = make_plan(profile="quick", langs=["es"], ks=["all"], seeds=[1], max_steps=100, eval_frequency=20,
                     translator="apertium", patience=200)
    assert {r.patience for r in same.runs} == {200}


def test_ladtl_arms_read_both_domains_and_the_control_sets_weight_zero(project):
    Path("configs/transfer_mmd.cfg").write_text(
        CONFIG.replace("[paths]", "[paths]\ntarget_train = null") + "\n[initialize]\n\n[initialize.before_init]\nweight = 0.02\n")
    plan = make_plan(profile="quick", langs=["es"], ks=["5"], seeds=[1], max_steps=30, eval_frequency=10,
                     translator="apertium", ladtl=True)
    mmd, mix = plan.select(arm="transfer_mmd")[0], plan.select(arm="transfer_mix")[0]
    assert mmd.train == "translated/apertium/es/train.spacy" and mmd.source_model == "training/quick/source/s1/model-best"
    assert mmd.target_train == "training/quick/transfer_mmd/es/k5_s1/target.spacy" and mmd.subset_of
    args = dict(zip(train_command(mix, plan.settings)[5::2], train_command(mix, plan.settings)[6::2]))
    assert args["--paths.target_train"] == "training/quick/transfer_mix/es/k5_s1/target.spacy"
    assert args["--initialize.before_init.weight"] == "0"
    assert "--initialize.before_init.weight" not in train_command(mmd, plan.settings)
    assert run_signature(mmd, plan.settings) != run_signature(mix, plan.settings)
    assert {e.arm for e in plan.evaluations} >= {"transfer_mmd", "transfer_mix"}
    calls = []
    run_arm(plan, arm="transfer_mmd", execute=fake_train(calls))
    assert len(list(DocBin().from_disk(mmd.target_train).get_docs(NLP.vocab))) == 5
    plan.to_disk("p.json")
    assert Plan.from_disk("p.json").select(arm="transfer_mix")[0].overrides == ["--initialize.before_init.weight", "0"]
