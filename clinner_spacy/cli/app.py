"""The `clinner` typer application.

Each concern keeps its commands in its own module (cli/corpora.py, cli/translate.py, ...),
which registers them on `app` when imported. COMMAND_MODULES lists them; importing is
deferred to main() so that `import clinner_spacy` stays cheap.
"""
import importlib

import typer

app = typer.Typer(
    name="clinner",
    help="Clinical NER for low-resource languages and domains by transfer from English.",
    no_args_is_help=True,
    add_completion=False,
)

# One line per command module; a module that fails to import is a bug, not a silent skip.
COMMAND_MODULES = [
    "dialogue",
    "dialogue_project",
    "corpora",
    "assets",
    "translate",
    "translate_models",
    "annotate",
    "sample",
    "evaluate",
    "translate_test",
    "project_tools",
    "arms",
    "heads",
    "reporting",
    "packaging",
]


def load_commands() -> typer.Typer:
    for name in COMMAND_MODULES:
        importlib.import_module(f"clinner_spacy.cli.{name}")
    return app


def main() -> None:
    load_commands()
    app()
