import os
import random
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# ../shared/data beside the checkout; CLINNER_DATA overrides.
SHARED_DATA = Path(os.environ.get("CLINNER_DATA", ROOT.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.exists():
        pytest.skip(f"shared data not found at {SHARED_DATA}")
    return SHARED_DATA


# A tiny random-weight NLLB, shared by the CTranslate2 tests and the registered-function tests.
NLLB_WORDS = (
    "el la los paciente presenta dolor abdominal fiebre con sin de en tratamiento cirugía riñón "
    "hígado se realiza biopsia le patient a une douleur avec fièvre the patient has pain with fever"
).split()


def _nllb_lines(n=300, seed=0):
    rng = random.Random(seed)
    return [
        " ".join(rng.choice(NLLB_WORDS) for _ in range(rng.randint(3, 14))) + rng.choice([".", ",", ";", ""])
        for _ in range(n)
    ]


@pytest.fixture(scope="session")
def nllb_lines():
    """RETURNS (Callable[[int, int], List[str]]): random es/fr/en word salad, n lines from a seed."""
    return _nllb_lines


@pytest.fixture(scope="session")
def tiny_hf(tmp_path_factory):
    """A random-weight M2M100/NLLB Hugging Face checkpoint with a 150-piece sentencepiece model."""
    from clinner_spacy.translate.random_nllb import make_random_nllb, train_sentencepiece

    root = tmp_path_factory.mktemp("tiny_nllb")
    sp_model = train_sentencepiece(_nllb_lines(), root / "spm", vocab_size=150)
    return make_random_nllb(root / "hf", sp_model=sp_model)


@pytest.fixture(scope="session")
def tiny_ct2(tiny_hf, tmp_path_factory):
    """tiny_hf converted to CTranslate2 (int8) by `clinner convert-nllb`."""
    from typer.testing import CliRunner

    from clinner_spacy.cli.app import load_commands

    out = tmp_path_factory.mktemp("tiny_ct2") / "model"
    result = CliRunner().invoke(load_commands(), ["convert-nllb", str(tiny_hf), str(out), "--quantization", "int8"])
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="session")
def ray_local():
    """One local Ray instance (2 CPUs) for every Ray test: starting one costs ~10 s."""
    ray = pytest.importorskip("ray")
    pytest.importorskip("ray.data")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    yield ray
    ray.shutdown()
