"""Test what ships: install the built wheels into a fresh virtual environment and score them there.

The environment is created from scratch (torch first, pinned to the CPU build these machines use:
an unpinned torch pulls CUDA wheels), then this repository's clinner-spacy wheel and the pipeline
wheels, whose other requirements come from the package registry. Each pipeline is loaded by its
package name with the model hub switched off, from a working directory outside the repository (so
nothing is imported from the checkout), and scored by the same function as evaluate-arms.
"""
import os
import shutil
import subprocess
import time
import venv
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple, Union

import srsly

TORCH_REQUIREMENT = "torch==2.13.0"
OFFLINE_ENV = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}


def package_name(wheel: Union[str, Path]) -> str:
    """es_clinner_e3c-0.1.0-py3-none-any.whl -> es_clinner_e3c."""
    return Path(wheel).name.split("-")[0]


def score_installed(name: str, gold: str, labels: Sequence[str], n_bootstrap: int, output: str) -> Dict:
    """Load an installed pipeline package by name and score it (runs inside the fresh environment).

    name (str): the package name, e.g. "es_clinner_e3c".
    gold (str): the gold .spacy test file.
    labels (Sequence[str]): labels scored.
    n_bootstrap (int): bootstrap resamples.
    output (str): where to write the metrics JSON.
    RETURNS (Dict): the metrics, with the package's own meta scores as the reference.
    """
    import spacy

    from ..project.evaluate import score_model

    metrics = score_model(name, gold, labels=labels, n_bootstrap=n_bootstrap)
    meta = spacy.load(name).meta
    metrics.update(package=name, version=meta.get("version"), spacy_load_path=str(spacy.util.get_package_path(name)),
                   reference_f=(meta.get("performance") or {}).get("ents_f"),
                   source_model=(meta.get("clinner") or {}).get("arm"),
                   reference_split=(meta.get("clinner") or {}).get("eval_split", "test"))
    Path(output).parent.mkdir(parents=True, exist_ok=True)
    srsly.write_json(output, metrics)
    return metrics


def make_venv(path: Union[str, Path], wheels: Sequence[Union[str, Path]], *,
              run: Callable[[List[str]], int] = subprocess.call) -> Path:
    """Create a fresh virtual environment with torch (CPU) and the given wheels installed.

    RETURNS (Path): the environment's python.
    """
    path = Path(path)
    if path.exists():
        shutil.rmtree(path)
    venv.EnvBuilder(with_pip=True, clear=True).create(path)
    python = path / "bin" / "python"
    for cmd in ([str(python), "-m", "pip", "install", "--quiet", TORCH_REQUIREMENT],
                [str(python), "-m", "pip", "install", "--quiet", *[str(Path(w).resolve()) for w in wheels]]):
        if run(cmd) != 0:
            raise RuntimeError(f"installing into {path} failed: {' '.join(cmd)}")
    return python


def evaluate_packages(
    *,
    venv_dir: Union[str, Path],
    clinner_wheel: Union[str, Path],
    wheels: Sequence[Union[str, Path]],
    corpus_dir: Union[str, Path],
    labels: Sequence[str],
    n_bootstrap: int,
    output_dir: Union[str, Path],
    reuse_venv: bool = False,
    progress: Optional[Callable[[str], None]] = None,
    targets: Optional[Dict[str, Tuple[Union[str, Path], Sequence[str]]]] = None,
) -> List[Dict[str, object]]:
    """Install the wheels into a fresh environment and score each installed pipeline on its test set.

    venv_dir (Union[str, Path]): where the environment is created (replaced unless reuse_venv).
    clinner_wheel (Union[str, Path]): this repository's wheel (the pipelines require clinner-spacy).
    wheels (Sequence[Union[str, Path]]): pipeline wheels, <lang>_<name>-<version>-py3-none-any.whl.
    corpus_dir (Union[str, Path]): converted corpora; the test set is corpus/e3c-<lang>/test.spacy.
    labels (Sequence[str]): labels scored.
    n_bootstrap (int): bootstrap resamples.
    output_dir (Union[str, Path]): metrics/<profile>/installed; one <package>.json per pipeline.
    reuse_venv (bool): keep an existing environment (development only: the point is a fresh one).
    progress (Optional[Callable[[str], None]]): called with a line of progress text.
    targets (Optional[Dict[str, Tuple[Union[str, Path], Sequence[str]]]]): per package name, the gold
        file and labels to score it on instead of the e3c-<lang> test set (en_clinner_dialogue: the
        dialogue dev set, DISORDER DRUG ANATOMY).
    RETURNS (List[Dict[str, object]]): per package: name, F1 installed, reference F1, seconds.
    """
    say = progress or (lambda text: None)
    targets = targets or {}
    for wheel in [clinner_wheel, *wheels]:
        if not Path(wheel).is_file():
            raise FileNotFoundError(f"{wheel}: no such wheel (run the package-pipelines command first)")
    jobs = []  # (name, gold, labels), checked before the slow environment is built
    for wheel in wheels:
        name = package_name(wheel)
        gold_path, scored = targets.get(name, (Path(corpus_dir) / f"e3c-{name.split('_')[0]}" / "test.spacy", labels))
        if not Path(gold_path).is_file():
            raise FileNotFoundError(f"{gold_path}: no gold file to score the installed {name} on")
        jobs.append((name, Path(gold_path).resolve(), list(scored)))
    python = Path(venv_dir) / "bin" / "python"
    if not (reuse_venv and python.exists()):
        say(f"creating a fresh environment in {venv_dir} ({TORCH_REQUIREMENT}, then the wheels)")
        t0 = time.time()
        python = make_venv(venv_dir, [clinner_wheel, *wheels])
        say(f"environment ready in {time.time() - t0:.0f}s")
    # absolute, because the scoring subprocess runs with cwd inside the environment; absolute()
    # and not resolve(): the venv's python is a symlink that must stay the venv's
    python = Path(python).absolute()
    env = {**os.environ, **OFFLINE_ENV}
    env.pop("PYTHONPATH", None)
    results = []
    for name, gold, scored in jobs:
        out = (Path(output_dir) / f"{name}.json").resolve()
        code = ("from clinner_spacy.packaging.verify import score_installed; "
                f"score_installed({name!r}, {str(gold)!r}, {list(scored)!r}, {n_bootstrap}, {str(out)!r})")
        t0 = time.time()
        # cwd outside the checkout: `python -c` puts the cwd first on sys.path
        proc = subprocess.run([str(python), "-c", code], cwd=str(Path(venv_dir).resolve()), env=env)
        if proc.returncode != 0:
            raise RuntimeError(f"scoring the installed {name} failed (exit code {proc.returncode})")
        metrics = srsly.read_json(out)
        results.append({"package": name, "f": ((metrics.get("strict") or {}).get("micro") or {}).get("f"),
                        "reference_f": metrics.get("reference_f"), "seconds": round(time.time() - t0, 1),
                        "gold": str(gold), "output": str(out)})
    return results

