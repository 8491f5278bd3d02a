"""The dialogue configs are E2's transfer/target-only configs plus the dialogue bits, nothing else."""
from pathlib import Path

import pytest
from spacy.util import load_config

from clinner_spacy.dialogue.plan import make_dialogue_plan

CONFIGS = Path(__file__).resolve().parent.parent / "configs"
DIALOGUE_COMPONENTS = {"dialogue_turns": "clinner_dialogue_turns", "speaker_guard": "clinner_speaker_guard"}


def _strip_dialogue(cfg):
    cfg = cfg.copy()
    for name in DIALOGUE_COMPONENTS:
        cfg["components"].pop(name)
    cfg["nlp"]["pipeline"] = [p for p in cfg["nlp"]["pipeline"] if p not in DIALOGUE_COMPONENTS]
    cfg["training"]["annotating_components"] = []
    return cfg


@pytest.mark.parametrize("dialogue,base,epochs", [("dialogue_transfer.cfg", "transfer.cfg", 5),
                                                  ("dialogue_target_only.cfg", "target_only.cfg", 0)])
def test_dialogue_config_differs_only_in_dialogue_bits(dialogue, base, epochs):
    if not (CONFIGS / base).exists():
        pytest.skip(f"configs/{base} not in this checkout")
    cfg = load_config(CONFIGS / dialogue, interpolate=False)
    assert cfg["nlp"]["pipeline"] == ["dialogue_turns", "transformer", "clinner_ner", "speaker_guard"]
    assert cfg["training"]["annotating_components"] == ["dialogue_turns"]
    for name, factory in DIALOGUE_COMPONENTS.items():
        assert cfg["components"][name]["factory"] == factory
    assert cfg["training"]["max_epochs"] == epochs
    stripped = _strip_dialogue(cfg)
    stripped["training"]["max_epochs"] = 0
    assert stripped == load_config(CONFIGS / base, interpolate=False)


def test_dialogue_transfer_setting():
    cfg = load_config(CONFIGS / "dialogue_transfer.cfg", interpolate=False)
    assert cfg["training"]["dropout"] == 0.4
    assert cfg["initialize"]["before_init"]["freeze_layers"] == "intermediate"
    assert cfg["components"]["transformer"]["source"] == "${paths.source_model}"


def test_dialogue_plan_layout():
    plan = make_dialogue_plan(profile="quick", ks=["10", "all"], seeds=[1, 2], max_steps=5, eval_frequency=1, encoder="enc")
    arms = sorted({(r.arm, r.k) for r in plan.runs}, key=str)
    assert arms == sorted({("source", None), ("target_only", "10"), ("target_only", "all"), ("transfer_k", "10"),
                           ("transfer_k", "all"), ("self_training", None)}, key=str)
    assert all(r.config.endswith(("source.cfg", "dialogue_target_only.cfg", "dialogue_transfer.cfg")) for r in plan.runs)
    assert {e.gold for e in plan.evaluations} == {"corpus/dialogue-gold/dev.spacy"}
    assert {e.output.split("/")[2] for e in plan.evaluations} == {"dialogue"}
    assert len(plan.evaluations) == 2 * (2 + 2 * 2 + 1)
    st = [r for r in plan.runs if r.arm == "self_training"]
    assert [r.train for r in st] == ["corpus/dialogue-pseudo/quick/s1/train.spacy", "corpus/dialogue-pseudo/quick/s2/train.spacy"]
    assert all(r.source_model.endswith(f"source/s{r.seed}/model-best") for r in st)


def test_dialogue_plan_cli_carries_the_profile_overrides(tmp_path):
    """Regression: the dialogue plan dropped the main plan's overrides, so the dialogue runs trained
    at the method's settings (no freezing, larger batches) while es/fr ran the quick profile's."""
    from typer.testing import CliRunner

    from clinner_spacy.cli.app import load_commands
    from clinner_spacy.project.plan import Plan
    from clinner_spacy.project.runner import train_command

    overrides = ["--training.batcher.size", "1000", "--components.transformer.model.freeze_layers", "0-7"]
    main = Plan(profile="quick", settings={"seeds": [1], "max_steps": 4, "eval_frequency": 2,
                                           "encoder": "enc", "overrides": overrides})
    main.to_disk(tmp_path / "plan.json")
    out = tmp_path / "dialogue.json"
    result = CliRunner().invoke(load_commands(), ["dialogue-plan", "--from-plan", str(tmp_path / "plan.json"),
                                                  "--ks", "all", "--output", str(out)])
    assert result.exit_code == 0, result.output
    plan = Plan.from_disk(out)
    assert plan.settings["overrides"] == overrides
    source = plan.select(arm="source")[0]
    cmd = train_command(source, plan.settings)
    assert cmd[cmd.index("--training.batcher.size") + 1] == "1000"
    assert cmd[cmd.index("--components.transformer.model.freeze_layers") + 1] == "0-7"
