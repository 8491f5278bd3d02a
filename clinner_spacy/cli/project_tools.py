"""Commands that project.yml runs to prepare data: corpus assets, source data, translated target data."""
from pathlib import Path

import typer
from wasabi import msg

from ..projection.project import DEFAULT_MAX_LOSS
from .app import app


@app.command("fetch-corpora")
def fetch_corpora_cli(
    mirror: Path = typer.Option(
        Path("../shared/data"),
        "--mirror",
        help="Offline mirror of the upstream corpora (project var data_mirror)",
    ),
    manifest: Path = typer.Option(
        Path("corpora.sha256"),
        "--manifest",
        help="Committed SHA-256 manifest of the corpus files the project reads",
    ),
    output: Path = typer.Option(
        Path("assets/corpora"),
        "--output",
        help="Where the verified corpora are linked (the --data-dir of `clinner convert`)",
    ),
    project_dir: Path = typer.Option(
        Path("."),
        "--project-dir",
        help="Project folder whose project.yml lists the corpus assets",
    ),
    corpus: list[str] = typer.Option(
        [],
        "--corpus",
        help="Only this asset (repeatable); default: every corpus asset in project.yml",
    ),
    write_manifest: bool = typer.Option(
        False,
        "--write-manifest",
        help="Hash the mirror's files into --manifest instead of verifying (maintainers, then commit it)",
    ),
) -> None:
    """Resolve the pinned corpus assets offline-first from a mirror and verify their checksums."""
    from ..project.manifest import write_manifest as write
    from ..project.mirror import CorpusAssetError, fetch_corpora, load_assets

    if write_manifest:
        assets = [a for a in load_assets(project_dir) if not corpus or a.name in corpus]
        n = write(assets, mirror, manifest)
        msg.good(f"wrote {n} checksums of {len(assets)} corpora to {manifest}")
        return
    try:
        results = fetch_corpora(project_dir=project_dir, mirror_dir=mirror, manifest_path=manifest,
                                output_dir=output, names=corpus or None)
    except CorpusAssetError as err:
        msg.fail("corpus assets unavailable", str(err), exits=1)
    for res in results:
        msg.good(f"{res['name']}: {res['files']} files verified ({res['source']}) -> {res['path']}")


@app.command("source-data")
def source_data_cli(
    corpus_dir: Path = typer.Option(..., "--corpus-dir", help="Folder of converted corpora (<name>/train.spacy)"),
    corpora: str = typer.Option(..., "--corpora", help="Corpora whose train splits are merged, space/comma separated"),
    dev_corpus: str = typer.Option("e3c-en", "--dev-corpus", help="Corpus whose dev split selects the source model"),
    output: Path = typer.Option(..., "--output", help="Output folder for train.spacy and dev.spacy"),
) -> None:
    """Merge the English source training data (E3C-en plus optional enlargement corpora)."""
    from ..project.source_data import build_source_data

    names = corpora.replace(",", " ").split()
    try:
        counts = build_source_data(corpus_dir=corpus_dir, corpora=names, dev_corpus=dev_corpus, output_dir=output)
    except (FileNotFoundError, ValueError) as err:
        msg.fail(str(err), exits=1)
    msg.good(f"source data from {', '.join(names)}: {counts['train']} train, {counts['dev']} dev documents -> {output}")


@app.command("extra-data")
def extra_data_cli(
    corpus_dir: Path = typer.Option(..., "--corpus-dir", help="Folder of converted corpora (<name>/{train,dev,test}.spacy)"),
    corpora: str = typer.Option(..., "--corpora", help="Corpora to merge (all splits), space/comma separated"),
    exclude: str = typer.Option(..., "--exclude", help="Corpora whose texts (all splits) must not be trained on"),
    output: Path = typer.Option(..., "--output", help="Output folder for train.spacy and report.json"),
    threshold: float = typer.Option(
        0.05, "--threshold", help="Exclude a text when this share of its word 8-grams occurs in the excluded corpora"
    ),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing train.spacy and report.json"),
) -> None:
    """Extra annotated target-language data: layers of one text merged, texts of the test corpora removed."""
    from ..checks import check_output_files
    from ..project.extra_data import build_extra_data

    names, excluded = corpora.replace(",", " ").split(), exclude.replace(",", " ").split()
    try:
        check_output_files([output / "train.spacy", output / "report.json"], force=force)
        report = build_extra_data(corpus_dir=corpus_dir, corpora=names, exclude=excluded, output_dir=output,
                                  threshold=threshold)
    except (FileNotFoundError, FileExistsError, ValueError) as err:
        msg.fail(str(err), exits=1)
    msg.good(
        f"{report['kept']} documents ({report['kept_tokens']} tokens) from {', '.join(names)} -> {output}; "
        f"{report['merged']} texts merged from several layers ({report['overlap_dropped']} overlapping spans "
        f"dropped); {report['excluded']} texts excluded as overlapping {', '.join(excluded)} (listed in report.json)"
    )


@app.command("translate-corpus")
def translate_corpus_cli(
    corpus_dir: Path = typer.Option(..., "--corpus-dir", exists=True, file_okay=False, help="Converted target corpus"),
    splits: str = typer.Option("train dev", "--splits", help="Splits to translate, space separated"),
    src: str = typer.Option(..., "--src", help="Source language (ISO 639-1)"),
    tgt: str = typer.Option("en", "--tgt", help="Target language (ISO 639-1)"),
    translator: str = typer.Option("apertium", "--translator", help="apertium or nllb"),
    nllb_model_dir: Path = typer.Option(None, "--nllb-model-dir", help="CTranslate2 NLLB folder (used by nllb only)"),
    device: str = typer.Option(None, "--device", help="nllb: cpu, cuda or auto (default; cuda if CTranslate2 sees a GPU)"),
    compute_type: str = typer.Option(
        None, "--compute-type", help="nllb: CTranslate2 compute type; default auto (int8 on cpu, int8_float16 on cuda)"
    ),
    beam_size: int = typer.Option(None, "--beam-size", help="nllb: beam width, 1 is greedy; default 4"),
    max_decoding_length: int = typer.Option(
        None, "--max-decoding-length",
        help="nllb: most target tokens per sentence part; outputs reaching it are counted as cut and not cached; default 256",
    ),
    sort_by_length: bool = typer.Option(
        None, "--sort-by-length/--no-sort-by-length",
        help="nllb: translate each distinct part once in length-sorted batches (same output); default on",
    ),
    engine: str = typer.Option("local", "--engine", help="local, or ray: the translator on Ray actors (docs/ray.md)"),
    address: str = typer.Option(None, "--address", help="ray: an existing cluster (host:port, ray://host:port, auto)"),
    num_workers: int = typer.Option(None, "--num-workers", help="ray: translator actors; default 2"),
    cache: Path = typer.Option(
        None, "--cache",
        help="SQLite translation cache; default .cache/translations.sqlite in a project folder, else the user "
        "cache dir (env CLINNER_TRANSLATION_CACHE)",
    ),
    no_cache: bool = typer.Option(False, "--no-cache", help="Translate everything again without reading or writing the cache"),
    output_dir: Path = typer.Option(..., "--output-dir", help="Folder for <split>.spacy and <split>.report.json"),
    force: bool = typer.Option(False, "--force", help="Overwrite existing outputs (never the corpus's own files)"),
    allow_empty: bool = typer.Option(False, "--allow-empty", help="Accept a split without documents instead of failing"),
    max_loss: float = typer.Option(
        DEFAULT_MAX_LOSS, "--max-translation-loss",
        help="Fail when a document's translation is empty for more than this share of its sentences, or loses "
        "more than this share of its entity markers; 1.0 accepts anything",
    ),
) -> None:
    """Translate a corpus's splits into English and project the entities (the transfer arms' data)."""
    from ..project.translate import translate_splits
    from ..translate.base import TranslationError
    from ..translate.cache import default_cache_path
    from .translate import nllb_run_options, translator_options

    cache_stats: dict = {}
    try:
        nllb = nllb_run_options(device=device, compute_type=compute_type, beam_size=beam_size,
                                max_decoding_length=max_decoding_length, sort_by_length=sort_by_length)
        options = translator_options(translator, nllb_model_dir, "--nllb-model-dir", model_dir_elsewhere=True, nllb=nllb)
        options.pop("model_dir", None)
        reports = translate_splits(corpus_dir=corpus_dir, splits=splits.replace(",", " ").split(), src_lang=src,
                                   tgt_lang=tgt, translator=translator, nllb_model_dir=nllb_model_dir,
                                   nllb_options=options, engine=engine,
                                   engine_options={"num_workers": num_workers, "address": address},
                                   cache=None if no_cache else cache or default_cache_path(), output_dir=output_dir,
                                   force=force, allow_empty=allow_empty, max_loss=max_loss, cache_stats=cache_stats)
    except (TranslationError, ValueError, FileNotFoundError, FileExistsError, RuntimeError, ImportError,
            ConnectionError) as err:
        msg.fail(str(err), exits=1)
    for split, rep in reports.items():
        msg.good(f"{split}: {rep['docs']} docs, {rep['placed']}/{rep['entities']} entities placed "
                 f"({100 * (rep['placed_share'] or 0):.1f}%), {len(rep['lost'])} lost -> {output_dir / split}.spacy")
    truncated = sum(rep.get("truncated_translations", 0) for rep in reports.values())
    if truncated:
        msg.warn(f"{truncated} translations were cut at --max-decoding-length (truncated_translations in the "
                 "split reports; they are not cached); raise the limit")
    if cache_stats:
        msg.text(f"Cache: {cache_stats['describe']}")
