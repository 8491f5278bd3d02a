# The two commands a new user needs (see README):
#   make all   - install, then run the main job end to end (spacy project run all, quick profile)
#   make test  - install, then run the test suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PROFILE ?= quick

.PHONY: all test install system-deps clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# torch first, pinned to the CPU build on these machines: an unpinned torch pulls CUDA wheels.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e ".[dev,encoders,ray]"
	touch $@

install: $(VENV)/.installed system-deps

# Apertium is the offline translator; Debian packages, installed when missing (needs root).
system-deps:
	@command -v apertium >/dev/null 2>&1 && [ -d /usr/share/apertium/apertium-eng-spa ] && [ -d /usr/share/apertium/apertium-fr-es ] || \
	  { (apt-get update -qq && apt-get install -y -qq apertium apertium-eng-spa apertium-fr-es) >/dev/null 2>&1 || \
	    echo "warning: could not install apertium (apt-get); Apertium tests will be skipped"; }

all: install
	$(BIN)/python -m spacy project run all . --vars.profile $(PROFILE)

test: install
	$(BIN)/python -m pytest -q -ra

clean:
	rm -rf $(VENV) build dist *.egg-info
