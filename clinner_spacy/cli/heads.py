"""`clinner heads`: the NER heads compared on the same data, features and CPU (project/heads.py)."""
import shlex
from pathlib import Path

import typer
from wasabi import msg

from .app import app
from .arms import _fmt_eta

DEFAULT_HEADS = ("softmax=configs/features/target_only.cfg crf=configs/features_crf/target_only.cfg "
                 "spacy_ner=configs/features_spacy_ner/target_only.cfg spacy_cnn=configs/baseline/spacy_cnn.cfg")


@app.command("heads")
def heads_cli(
    heads: str = typer.Option(DEFAULT_HEADS, "--heads", help="Heads to compare, as name=config pairs (space separated); 'softmax' is the one gains are over"),
    langs: str = typer.Option("es fr", "--langs", help="Target languages (space separated)"),
    corpus_dir: str = typer.Option("corpus", "--corpus-dir", help="Folder of e3c-<lang>/{train,dev,test}.spacy"),
    encoder: str = typer.Option("", "--encoder", help="Encoder directory or name, [paths] encoder of the configs that read one"),
    seeds: str = typer.Option("1", "--seeds", help="Seeds (space separated): one run per head, language and seed"),
    max_steps: int = typer.Option(4000, "--max-steps", min=1, help="Step limit per run (early stopping normally ends it first)"),
    eval_frequency: int = typer.Option(40, "--eval-frequency", min=1, help="Steps between dev evaluations"),
    patience: int = typer.Option(0, "--patience", min=0, help="Early stopping: steps without a better dev score, a multiple of --eval-frequency (0: the configs' own)"),
    output_dir: str = typer.Option("training/quick/heads", "--output-dir", help="Where the runs go (<head>/<lang>/s<seed>)"),
    metrics_dir: str = typer.Option("metrics/quick/heads", "--metrics-dir", help="Where the metrics go (<lang>/<head>_s<seed>.json)"),
    jobs: int = typer.Option(1, "--jobs", min=1, help="Runs of a head trained at once, one thread each (runner's --jobs)"),
    labels: str = typer.Option("DISORDER ANATOMY", "--labels", help="Labels scored, space separated"),
    bootstrap: int = typer.Option(1000, "--bootstrap", min=1, help="Bootstrap resamples for the 95% intervals"),
    markdown: Path = typer.Option(Path("docs/heads.md"), "--markdown", help="The markdown page of the comparison"),
    force: bool = typer.Option(False, "--force", help="Replace runs, metrics or a page made from other inputs instead of refusing"),
    keep_last: bool = typer.Option(False, "--keep-last", help="Keep model-last beside model-best"),
) -> None:
    """Train every head on each language's E3C train split, score it on test, and write the table."""
    from ..project.heads import BASE_HEAD, parse_heads, run_heads
    from ..project.heads_table import check_page, heads_page, write_page

    if patience and patience % eval_frequency:
        msg.fail(f"--patience must be 0 or a multiple of --eval-frequency ({eval_frequency}), got {patience}",
                 exits=1)
    try:
        seed_list = [int(s) for s in seeds.replace(",", " ").split()]
    except ValueError:
        msg.fail(f"--seeds must be integers, got {seeds!r}", exits=1)
    lang_list, label_list = langs.replace(",", " ").split(), labels.replace(",", " ").split()
    if not seed_list or not lang_list or not label_list:
        msg.fail("--seeds, --langs and --labels each need at least one value", exits=1)
    command = " ".join(["python -m clinner_spacy heads", "--heads", shlex.quote(heads), "--langs", shlex.quote(langs),
                        "--corpus-dir", corpus_dir, "--encoder", shlex.quote(encoder), "--seeds", shlex.quote(seeds),
                        "--max-steps", str(max_steps), "--eval-frequency", str(eval_frequency), "--patience",
                        str(patience), "--output-dir", output_dir, "--metrics-dir", metrics_dir, "--jobs", str(jobs),
                        "--labels", shlex.quote(labels), "--bootstrap", str(bootstrap), "--markdown", str(markdown)])

    def show(stage, name, i, total, elapsed):
        msg.text(f"[{i}/{total}] {stage} {name}  (elapsed {elapsed / 60:.1f} min, "
                 f"left ~{_fmt_eta(elapsed, i - 1, total)})")

    try:
        head_map = parse_heads(heads)
        check_page(markdown, force=force)
        rows = run_heads(heads=head_map, langs=lang_list, seeds=seed_list, corpus_dir=corpus_dir, encoder=encoder,
                         max_steps=max_steps, eval_frequency=eval_frequency, patience=patience or None,
                         output_dir=output_dir, metrics_dir=metrics_dir, labels=label_list, n_bootstrap=bootstrap,
                         jobs=jobs, force=force, keep_last=keep_last, progress=show)
        page = heads_page(metrics_dir, heads=list(head_map), langs=lang_list, seeds=seed_list, command=command,
                          n_bootstrap=bootstrap, base=BASE_HEAD)
        write_page(markdown, page, force=force)
    except (ValueError, RuntimeError, FileNotFoundError, FileExistsError) as err:
        msg.fail(str(err), exits=1)
    scored = sum(status == "score" for _, status, _ in rows)
    msg.good(f"heads: {len(rows)} runs, {scored} scored now, {len(rows) - scored} up to date -> {markdown}")
