"""`clinner sample`: nested few-shot training subsets by document, and SamBD down-sampling."""
from pathlib import Path
from typing import List

import typer
from wasabi import msg

from .app import app

# `--k 5 10 20 all`: click options take one value each, so the values after the first one
# arrive as extra arguments (context_settings below) and are added to --k.
DEFAULT_KS = ["5", "10", "20", "all"]
EXTRA_ARGS = {"allow_extra_args": True, "ignore_unknown_options": False}


@app.command("sample", context_settings=EXTRA_ARGS)
def sample_cli(
    ctx: typer.Context,
    input_path: Path = typer.Argument(
        ...,
        help="Training DocBin (.spacy) to sample documents from",
        exists=True,
        dir_okay=False,
    ),
    output_dir: Path = typer.Argument(
        ...,
        help="Folder for k<K>.spacy, k<K>-sambd.spacy and sample.json",
    ),
    k: List[str] = typer.Option(
        [],
        "--k",
        help="Subset sizes in documents, e.g. --k 5 10 20 all (the default; nested: the 5 are inside the 10)",
    ),
    seed: int = typer.Option(
        0,
        "--seed",
        help="Seed of the document permutation (and of SamBD)",
    ),
    use_sambd: bool = typer.Option(
        False,
        "--sambd",
        help="Also write the SamBD sentence down-sampling of each subset (k<K>-sambd.spacy)",
    ),
) -> None:
    """Write nested few-shot subsets of INPUT_PATH (k documents each) into OUTPUT_DIR."""
    from ..corpora.sampling import sample_docbin

    if ctx.args and not k:
        msg.fail(f"unexpected arguments {ctx.args}", exits=1)
    ks = (list(k) + list(ctx.args)) or DEFAULT_KS
    try:
        manifest = sample_docbin(input_path=input_path, output_dir=output_dir, ks=ks, seed=seed, use_sambd=use_sambd)
    except ValueError as err:
        msg.fail(str(err), exits=1)
    msg.info(f"{manifest['n_docs']} documents in {input_path}, seed {seed}; labels {manifest['labels']}")
    rows = []
    for key, entry in manifest["subsets"].items():
        rows.append((f"k={key}", entry["file"], entry["n_docs"], _fmt(entry["labels"])))
        if "sambd" in entry:
            sb = entry["sambd"]
            rows.append((f"k={key} SamBD", sb["file"], f"{sb['sentences_after']}/{sb['sentences_before']} sents",
                         f"{_fmt(sb['labels_before'])} -> {_fmt(sb['labels_after'])} (cap {sb['cap']})"))
    msg.table(rows, header=("subset", "file", "docs", "mentions per label"), divider=True)
    msg.good(f"Wrote {len(manifest['subsets'])} subsets and sample.json to {output_dir}")


def _fmt(counts: dict) -> str:
    return ", ".join(f"{label} {n}" for label, n in counts.items()) or "-"
