"""Commands that run the experiment's arms: the plan of a profile, training each arm, scoring every model."""
import shlex
from pathlib import Path

import typer
from wasabi import msg

from .app import app


def _fmt_eta(elapsed: float, done: int, total: int) -> str:
    if done <= 0:
        return "?"
    left = elapsed / done * (total - done)
    return f"{left / 60:.1f} min"


@app.command("plan")
def plan_cli(
    profile: str = typer.Option("quick", "--profile", help="quick, standard or full: picks the k list, seeds, steps and configs"),
    output: Path = typer.Option(..., "--output", help="Where to write the plan JSON"),
    langs: str = typer.Option("es fr", "--langs", help="Target languages (space separated)"),
    translator: str = typer.Option("apertium", "--translator", help="Translator whose output the transfer arms use"),
    encoder: str = typer.Option("", "--encoder", help="Encoder directory or name passed as paths.encoder"),
    k_quick: str = typer.Option("10 all", "--k-quick", help="k list of the quick profile"),
    seeds_quick: str = typer.Option("1", "--seeds-quick", help="Seeds of the quick profile"),
    max_steps_quick: int = typer.Option(30, "--max-steps-quick", help="Training steps per run, quick profile"),
    eval_frequency_quick: int = typer.Option(10, "--eval-frequency-quick", help="Steps between dev evaluations, quick"),
    k_full: str = typer.Option("5 10 20 all", "--k-full", help="k list of the full profile"),
    seeds_full: str = typer.Option("1 2 3", "--seeds-full", help="Seeds of the full profile"),
    max_steps_full: int = typer.Option(1500, "--max-steps-full", help="Training steps per run, full profile"),
    eval_frequency_full: int = typer.Option(100, "--eval-frequency-full", help="Steps between dev evaluations, full"),
    overrides_quick: str = typer.Option("", "--overrides-quick", help="spaCy config overrides for every run, quick"),
    overrides_full: str = typer.Option("", "--overrides-full", help="spaCy config overrides for every run, full"),
    k_standard: str = typer.Option("5 10 20 all", "--k-standard", help="k list of the standard profile"),
    seeds_standard: str = typer.Option("1 2 3", "--seeds-standard", help="Seeds of the standard profile"),
    max_steps_standard: int = typer.Option(4000, "--max-steps-standard", help="Step limit per run, standard"),
    eval_frequency_standard: int = typer.Option(40, "--eval-frequency-standard", help="Steps between dev evaluations, standard"),
    overrides_standard: str = typer.Option("", "--overrides-standard", help="spaCy config overrides for every run, standard"),
    configs_dir: str = typer.Option("configs", "--configs-dir", help="Folder of source.cfg, target_only.cfg, transfer.cfg: configs (partial fine-tuning) or configs/features (frozen encoder, cached features)"),
    patience: int = typer.Option(0, "--patience", help="Early stopping: steps without a better dev score (0: the configs' own)"),
    source_patience: int = typer.Option(0, "--source-patience", help="Early stopping of the source runs (0: --patience)"),
    ladtl: bool = typer.Option(False, "--ladtl/--no-ladtl", help="Add the La-DTL arms (transfer_mmd and its control transfer_mix; docs/mmd.md)"),
    baseline_config: str = typer.Option("", "--baseline-config", help="Config of the baseline arm (spaCy's CPU default ner); empty: no baseline"),
) -> None:
    """Write the runs and evaluations of a profile (every later project command reads it)."""
    from ..project.plan import make_plan, parse_list

    settings = {
        "quick": (k_quick, seeds_quick, max_steps_quick, eval_frequency_quick, overrides_quick),
        "standard": (k_standard, seeds_standard, max_steps_standard, eval_frequency_standard, overrides_standard),
        "full": (k_full, seeds_full, max_steps_full, eval_frequency_full, overrides_full),
    }
    if profile not in settings:
        msg.fail(f"unknown profile {profile!r}; choose one of {', '.join(settings)}", exits=1)
    ks, seeds, steps, freq, overrides = settings[profile]
    if source_patience < 0 or (source_patience and source_patience % freq):
        msg.fail(f"--source-patience must be 0 or a multiple of the eval frequency ({freq}), got {source_patience}",
                 exits=1)
    if patience < 0 or (patience and patience % freq):
        # spaCy checks patience at every step but scores only every eval_frequency steps: a
        # multiple makes the run end on an evaluation
        msg.fail(f"--patience must be 0 or a multiple of the eval frequency ({freq}), got {patience}", exits=1)
    for name in ("source.cfg", "target_only.cfg", "transfer.cfg") + (("transfer_mmd.cfg",) if ladtl else ()):
        if not (Path(configs_dir) / name).is_file():
            msg.fail(f"{configs_dir}: no {name} (the arm configs of profile {profile})", exits=1)
    if baseline_config and not Path(baseline_config).is_file():
        msg.fail(f"--baseline-config {baseline_config}: no such file", exits=1)
    plan = make_plan(profile=profile, langs=langs.replace(",", " ").split(), ks=parse_list(ks),
                     seeds=[int(s) for s in seeds.replace(",", " ").split()], max_steps=steps,
                     eval_frequency=freq, translator=translator, configs_dir=configs_dir,
                     patience=patience or None, baseline_config=baseline_config or None,
                     source_patience=source_patience or None, ladtl=ladtl)
    plan.settings["encoder"] = encoder
    extra = shlex.split(overrides)
    if any(not item.startswith("--") for item in extra[::2]) or len(extra) % 2:
        msg.fail(f"overrides must be '--section.key value' pairs, got {extra}", exits=1)
    plan.settings["overrides"] = extra
    plan.to_disk(output)
    msg.good(f"plan {profile}: {len(plan.runs)} training runs, {len(plan.evaluations)} evaluations -> {output}")


@app.command("run-arm")
def run_arm_cli(
    arm: str = typer.Argument(..., help="source, target_only, transfer or transfer_k"),
    plan_path: Path = typer.Option(..., "--plan", exists=True, dir_okay=False, help="The plan JSON (clinner plan)"),
    lang: str = typer.Option("", "--lang", help="Only this language (default: all of the plan)"),
    keep_last: bool = typer.Option(False, "--keep-last", help="Keep model-last beside model-best"),
    dry: bool = typer.Option(False, "--dry", help="List what would be trained, train nothing"),
    jobs: int = typer.Option(
        1, "--jobs", min=1,
        help="Runs trained at once, one thread each (their console output goes to <output>/train.out)",
    ),
) -> None:
    """Train every run of one arm in the plan, skipping runs whose inputs are unchanged."""
    from ..project.plan import Plan
    from ..project.runner import run_arm

    def show(status, run, i, total, elapsed):
        msg.divider(f"[{i}/{total}] {run.name}: {status}  (elapsed {elapsed / 60:.1f} min, "
                    f"left ~{_fmt_eta(elapsed, i - 1, total)})")

    try:
        records = run_arm(Plan.from_disk(plan_path), arm=arm, lang=lang or None, keep_last=keep_last,
                          dry=dry, progress=show, jobs=jobs)
    except (ValueError, RuntimeError) as err:
        msg.fail(str(err), exits=1)
    trained = sum(r["status"] == "train" for r in records)
    msg.good(f"{arm}: {trained} trained, {len(records) - trained} up to date or dry")


@app.command("evaluate-plan")
def evaluate_plan_cli(
    plan_path: Path = typer.Option(..., "--plan", exists=True, dir_okay=False, help="The plan JSON (clinner plan)"),
    labels: str = typer.Option("DISORDER ANATOMY", "--labels", help="Labels scored, space separated"),
    bootstrap: int = typer.Option(1000, "--bootstrap", help="Bootstrap resamples for the 95% interval"),
    lang: str = typer.Option("", "--lang", help="Only this language (default: all)"),
) -> None:
    """Score every model of the plan on its test set (metrics/<profile>/<lang>/<arm>[_k<k>]_s<seed>.json)."""
    from ..project.evaluate import evaluate_plan
    from ..project.plan import Plan

    def show(status, ev, i, total, elapsed):
        msg.text(f"[{i}/{total}] {ev.arm} {ev.lang} k={ev.k} s={ev.seed}: {status} "
                 f"(elapsed {elapsed / 60:.1f} min, left ~{_fmt_eta(elapsed, i - 1, total)})")

    try:
        rows = evaluate_plan(Plan.from_disk(plan_path), labels=labels.replace(",", " ").split(),
                             n_bootstrap=bootstrap, lang=lang or None, progress=show)
    except FileNotFoundError as err:
        msg.fail(str(err), exits=1)
    msg.table([(r["output"], r["status"], "-" if r["f"] is None else f"{100 * r['f']:.1f}") for r in rows],
              header=("metrics", "status", "strict micro F1"))
