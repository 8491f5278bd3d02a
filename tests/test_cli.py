"""The `clinner` application: every command module is loaded, every command shows its help."""
import pkgutil
import sys
from importlib.metadata import entry_points

import click
import pytest
import typer
from typer.testing import CliRunner

import clinner_spacy.cli
from clinner_spacy.cli.app import COMMAND_MODULES, load_commands, main


def _commands():
    return typer.main.get_command(load_commands()).commands


def test_every_cli_module_is_loaded():
    modules = {m.name for m in pkgutil.iter_modules(clinner_spacy.cli.__path__)} - {"app"}
    assert modules == set(COMMAND_MODULES)


def test_top_level_help_lists_every_command():
    result = CliRunner().invoke(load_commands(), ["--help"])
    assert result.exit_code == 0, result.output
    for name in _commands():
        assert name in result.output


@pytest.mark.parametrize("name", sorted(_commands()))
def test_command_help(name):
    result = CliRunner().invoke(load_commands(), [name, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output


def test_every_option_has_help():
    for name, command in _commands().items():
        for param in command.params:
            if isinstance(param, click.Option) and param.name != "help":
                assert param.help, f"clinner {name}: option {param.opts[0]} has no help text"


def test_console_script_and_module_entry():
    group = entry_points(group="console_scripts") if sys.version_info >= (3, 10) else entry_points()["console_scripts"]
    (script,) = [ep for ep in group if ep.name == "clinner"]
    assert script.load() is main
    from clinner_spacy.__main__ import main as module_main

    assert module_main is main
