"""The experiment plan: every training run and every evaluation of the transfer table.

spaCy project commands cannot loop, so project.yml runs one command per arm and language,
and each command loops over the runs that `clinner plan` wrote for the chosen profile. The
plan is a JSON file that every later command depends on: a change of profile, k list, seeds
or max_steps changes the plan, and weasel re-runs exactly the commands downstream of it.

Paths are built here and nowhere else (runner.py, evaluate.py, reporting and packaging read
them from the plan), so the layout below is the one place to change:
    training/<profile>/source/s<seed>
    training/<profile>/target_only/<lang>/k<k>_s<seed>
    training/<profile>/transfer/<lang>/s<seed>
    training/<profile>/transfer_k/<lang>/k<k>_s<seed>
    training/<profile>/transfer_mmd/<lang>/k<k>_s<seed>   (and transfer_mix: its control)
    metrics/<profile>/<lang>/<arm>[_k<k>]_s<seed>.json
"""
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Union

import srsly

# The arms of the transfer table. zero_shot and the English source reference are evaluations
# of the source runs, not training runs of their own.
SOURCE, TARGET_ONLY, ZERO_SHOT, TRANSFER, TRANSFER_K = (
    "source", "target_only", "zero_shot", "transfer", "transfer_k",
)
# what a spaCy user would train instead: spaCy's CPU default ner (configs/baseline/spacy_cnn.cfg)
# on the same k target documents as target_only
BASELINE = "baseline"
# La-DTL (docs/mmd.md): the source model trained on the translated and the k target documents
# together, with the label-aware MMD term (transfer_mmd) and without it (transfer_mix, the
# control: same data, same mixing, same steps)
TRANSFER_MMD, TRANSFER_MIX = "transfer_mmd", "transfer_mix"
TRAINED_ARMS = (SOURCE, TARGET_ONLY, TRANSFER, TRANSFER_K, BASELINE, TRANSFER_MMD, TRANSFER_MIX)
ARMS = (SOURCE, TARGET_ONLY, ZERO_SHOT, TRANSFER, TRANSFER_K, BASELINE, TRANSFER_MMD, TRANSFER_MIX)
# the control's override: the MMD weight of configs/*/transfer_mmd.cfg set to 0
MIX_OVERRIDES = ["--initialize.before_init.weight", "0"]
ALL = "all"


@dataclass
class Run:
    """One `spacy train` run: arm, language, k and seed, and everything it reads."""

    arm: str
    lang: str
    seed: int
    config: str
    train: str
    dev: str
    output: str
    max_steps: int
    eval_frequency: int
    k: Optional[str] = None  # "5", "10", ... or "all"; None for arms trained on full data
    source_model: Optional[str] = None
    subset_of: Optional[str] = None  # the full training file the k documents are drawn from
    # early stopping: stop after this many steps without a better dev score (None: the config's)
    patience: Optional[int] = None
    # the k target documents of a run that also reads its train file (La-DTL's two domains)
    target_train: Optional[str] = None
    # config overrides of this run alone, as "--section.key value" pairs
    overrides: List[str] = field(default_factory=list)

    @property
    def log(self) -> str:
        """The dev curve spaCy's ConsoleLogger.v3 writes (one JSON line per evaluation)."""
        return f"{self.output}/train_log.jsonl"

    @property
    def name(self) -> str:
        ksuf = f"_k{self.k}" if self.k is not None else ""
        return f"{self.arm}_{self.lang}{ksuf}_s{self.seed}"

    @property
    def model(self) -> str:
        return f"{self.output}/model-best"


@dataclass
class Evaluation:
    """One scoring of a trained model on a gold test file."""

    arm: str
    lang: str
    seed: int
    model: str
    gold: str
    output: str
    k: Optional[str] = None


@dataclass
class Plan:
    """All runs and evaluations of one profile, in the order they must happen."""

    profile: str
    settings: Dict[str, object] = field(default_factory=dict)
    runs: List[Run] = field(default_factory=list)
    evaluations: List[Evaluation] = field(default_factory=list)

    def select(self, arm: Optional[str] = None, lang: Optional[str] = None) -> List[Run]:
        return [r for r in self.runs if (arm is None or r.arm == arm) and (lang is None or r.lang == lang)]

    def to_disk(self, path: Union[str, Path]) -> None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        srsly.write_json(path, asdict(self))

    @classmethod
    def from_disk(cls, path: Union[str, Path]) -> "Plan":
        data = srsly.read_json(path)
        runs = [Run(**r) for r in data.get("runs", [])]
        evals = [Evaluation(**e) for e in data.get("evaluations", [])]
        return cls(profile=data["profile"], settings=data.get("settings", {}), runs=runs, evaluations=evals)


def parse_list(value: Union[str, Sequence[str]]) -> List[str]:
    """Split "10,all" or "10 all" (a project.yml var) into ["10", "all"]."""
    if isinstance(value, str):
        value = value.replace(",", " ").split()
    items = [str(v).strip() for v in value if str(v).strip()]
    for item in items:
        if item != ALL and not item.isdigit():
            raise ValueError(f"k must be a positive integer or 'all', got {item!r}")
    return items


def make_plan(
    *,
    profile: str,
    langs: Sequence[str],
    ks: Sequence[str],
    seeds: Sequence[int],
    max_steps: int,
    eval_frequency: int,
    translator: str,
    configs_dir: str = "configs",
    corpus_dir: str = "corpus",
    translated_dir: str = "translated",
    training_dir: str = "training",
    metrics_dir: str = "metrics",
    source_corpus: str = "corpus/source",
    source_lang: str = "en",
    patience: Optional[int] = None,
    baseline_config: Optional[str] = None,
    source_patience: Optional[int] = None,
    ladtl: bool = False,
) -> Plan:
    """Build the runs and evaluations of a profile.

    profile (str): name of the profile ("quick", "full"); it names the output folders.
    langs (Sequence[str]): target languages, each with corpus/e3c-<lang>/{train,dev,test}.spacy.
    ks (Sequence[str]): few-shot sizes ("5", "10", ..., "all").
    seeds (Sequence[int]): seeds; each seed draws its own nested k-subsets and initialisation.
    max_steps (int): training steps per run.
    eval_frequency (int): steps between dev evaluations (model-best is chosen on dev).
    translator (str): translator name, the folder of the translated data.
    configs_dir (str): folder of source.cfg, target_only.cfg and transfer.cfg: "configs"
        (partial fine-tuning) or "configs/features" (frozen encoder, cached features).
    patience (Optional[int]): early-stopping patience in steps for every run (None: the config's).
    baseline_config (Optional[str]): a config for the baseline arm (spaCy's CPU default ner),
        trained on the same k documents as target_only; None: no baseline arm.
    source_patience (Optional[int]): patience of the source runs (None: patience). Why apart: the
        source reads ~375k tokens, so 200 steps are about one epoch there, but 40 epochs of
        the 29 E3C training documents.
    ladtl (bool): add the La-DTL arms (transfer_mmd and its control transfer_mix) for every
        language and k, from configs_dir/transfer_mmd.cfg.
    RETURNS (Plan): the plan.
    """
    tdir, mdir = f"{training_dir}/{profile}", f"{metrics_dir}/{profile}"
    common = {"max_steps": max_steps, "eval_frequency": eval_frequency, "patience": patience}
    plan = Plan(profile=profile, settings={
        "langs": list(langs), "ks": list(ks), "seeds": list(seeds), "translator": translator,
        "source_lang": source_lang, "configs_dir": configs_dir, "baseline_config": baseline_config,
        "source_patience": source_patience, "ladtl": ladtl, **common,
    })

    def target(lang: str, split: str) -> str:
        return f"{corpus_dir}/e3c-{lang}/{split}.spacy"

    for seed in seeds:
        src = Run(SOURCE, source_lang, seed, f"{configs_dir}/source.cfg", f"{source_corpus}/train.spacy",
                  f"{source_corpus}/dev.spacy", f"{tdir}/source/s{seed}",
                  **{**common, "patience": source_patience or patience})
        plan.runs.append(src)
        plan.evaluations.append(Evaluation(SOURCE, source_lang, seed, src.model, target(source_lang, "test"),
                                           f"{mdir}/{source_lang}/source_s{seed}.json"))
        for lang in langs:
            plan.evaluations.append(Evaluation(ZERO_SHOT, lang, seed, src.model, target(lang, "test"),
                                               f"{mdir}/{lang}/zero_shot_s{seed}.json"))
            for k in ks:
                run = Run(TARGET_ONLY, lang, seed, f"{configs_dir}/target_only.cfg",
                          f"{tdir}/target_only/{lang}/k{k}_s{seed}/train.spacy", target(lang, "dev"),
                          f"{tdir}/target_only/{lang}/k{k}_s{seed}", k=k, subset_of=target(lang, "train"), **common)
                plan.runs.append(run)
                if baseline_config:
                    plan.runs.append(Run(BASELINE, lang, seed, baseline_config,
                                         f"{tdir}/baseline/{lang}/k{k}_s{seed}/train.spacy", target(lang, "dev"),
                                         f"{tdir}/baseline/{lang}/k{k}_s{seed}", k=k,
                                         subset_of=target(lang, "train"), **common))
            tr_dir = f"{translated_dir}/{translator}/{lang}"
            trans = Run(TRANSFER, lang, seed, f"{configs_dir}/transfer.cfg", f"{tr_dir}/train.spacy",
                        f"{tr_dir}/dev.spacy", f"{tdir}/transfer/{lang}/s{seed}", source_model=src.model, **common)
            plan.runs.append(trans)
            for k in ks:
                plan.runs.append(Run(TRANSFER_K, lang, seed, f"{configs_dir}/transfer.cfg",
                                     f"{tdir}/transfer_k/{lang}/k{k}_s{seed}/train.spacy", target(lang, "dev"),
                                     f"{tdir}/transfer_k/{lang}/k{k}_s{seed}", k=k, source_model=trans.model,
                                     subset_of=target(lang, "train"), **common))
            for k in ks if ladtl else ():
                for arm, overrides in ((TRANSFER_MMD, []), (TRANSFER_MIX, list(MIX_OVERRIDES))):
                    out = f"{tdir}/{arm}/{lang}/k{k}_s{seed}"
                    plan.runs.append(Run(arm, lang, seed, f"{configs_dir}/transfer_mmd.cfg", f"{tr_dir}/train.spacy",
                                         target(lang, "dev"), out, k=k, source_model=src.model,
                                         subset_of=target(lang, "train"), target_train=f"{out}/target.spacy",
                                         overrides=overrides, **common))
    for run in plan.runs:
        if run.arm == SOURCE:
            continue
        ksuf = f"_k{run.k}" if run.k is not None else ""
        plan.evaluations.append(Evaluation(run.arm, run.lang, run.seed, run.model, target(run.lang, "test"),
                                           f"{mdir}/{run.lang}/{run.arm}{ksuf}_s{run.seed}.json", k=run.k))
    return plan
