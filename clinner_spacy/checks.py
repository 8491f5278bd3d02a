"""Checks every command makes on its inputs and outputs before doing any work.

One rule for all commands (cli/*, and the library functions behind them): an input must be
an existing file of the expected kind; an output is never an input, never a folder where a
file goes (or a file where a folder goes), and is overwritten only with force (--force); an
empty input is an error unless allow_empty (--allow-empty). The errors are FileNotFoundError,
FileExistsError and ValueError (EmptyInputError), which the commands print with msg.fail.
"""
from pathlib import Path
from typing import Iterable, Optional, Sequence, Union

PathLike = Union[str, Path]


class EmptyInputError(ValueError):
    """An input without documents, where allow_empty (--allow-empty) was not given."""


def _same(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and a.samefile(b)
    except OSError:
        return a.resolve() == b.resolve()


def check_input_file(path: PathLike, *, suffixes: Sequence[str] = (), what: str = "input") -> Path:
    """An existing file (not a folder), with one of the given suffixes if any.

    path (PathLike): the input.
    suffixes (Sequence[str]): accepted suffixes, e.g. (".jsonl", ".txt"); empty for any.
    what (str): how the message names the input.
    RETURNS (Path): the path.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{what} not found: {path}")
    if path.is_dir():
        raise ValueError(f"{what} {path} is a folder, not a file")
    if suffixes and path.suffix.lower() not in suffixes:
        raise ValueError(f"{what} {path}: expected a {', '.join(suffixes)} file, not {path.suffix or 'no suffix'!r}")
    return path


def _check_parents(path: Path) -> None:
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                raise ValueError(f"cannot write {path}: {parent} is a file, not a folder")
            return


def check_output_file(
    path: Optional[PathLike], *, inputs: Iterable[Optional[PathLike]] = (), force: bool = False
) -> Optional[Path]:
    """A file that may be written: not an input, not a folder, absent unless force.

    path (Optional[PathLike]): the output file; None is passed through (an optional output).
    inputs (Iterable[Optional[PathLike]]): the command's input files (None entries ignored).
    force (bool): allow overwriting an existing output (never an input).
    RETURNS (Optional[Path]): the path.
    """
    if path is None:
        return None
    path = Path(path)
    for given in inputs:
        if given is not None and (_same(path, Path(given)) or path.resolve() == Path(given).resolve()):
            raise ValueError(f"{path} is also an input of this command; choose another output")
    if path.is_dir():
        raise ValueError(f"{path} is a folder; give a file name for this output")
    _check_parents(path)
    if path.exists() and not force:
        raise FileExistsError(f"{path} exists; pass --force to overwrite it")
    return path


def check_output_files(
    paths: Iterable[Optional[PathLike]], *, inputs: Iterable[Optional[PathLike]] = (), force: bool = False
) -> None:
    """check_output_file for several outputs, which must also differ from each other."""
    inputs = list(inputs)
    seen = []
    for path in paths:
        checked = check_output_file(path, inputs=inputs, force=force)
        if checked is None:
            continue
        if any(checked.resolve() == other.resolve() for other in seen):
            raise ValueError(f"{checked} is given for two outputs; choose different files")
        seen.append(checked)


def check_output_dir(path: PathLike) -> Path:
    """A folder that may be written into: absent, or a folder (its files are checked one by one).

    path (PathLike): the output folder.
    RETURNS (Path): the path.
    """
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise ValueError(f"{path} is a file; the output must be a folder")
    _check_parents(path)
    return path


def check_not_empty(n: int, what: PathLike, *, allow_empty: bool = False, unit: str = "documents") -> None:
    """Refuse an input that holds nothing, unless allow_empty.

    n (int): how many documents (or other units) the input holds.
    what (PathLike): the input, for the message.
    allow_empty (bool): accept it (--allow-empty).
    unit (str): what n counts.
    """
    if n == 0 and not allow_empty:
        raise EmptyInputError(f"{what} holds no {unit}; pass --allow-empty to accept an empty input")
