# Two commands on a fresh machine: `make demo` and `make test` (each creates .venv and installs).
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
DEMO_OUT ?= demo-release

.PHONY: install demo test lint bench clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	# CPU build first (a local file here); an unpinned torch would pull several GB of CUDA packages.
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[test]'
	touch $@

install: $(BIN)/.installed

demo: install
	$(BIN)/microe build --demo --out $(DEMO_OUT) --force
	HF_DATASETS_OFFLINE=1 HF_HUB_OFFLINE=1 $(BIN)/python -c "import sys; from datasets import load_dataset; \
	ds = load_dataset(sys.argv[1]); print(ds); \
	assert ds['train'].features['label'].num_classes == 8 and ds['train'][0]['image'].size == (48, 48)" $(DEMO_OUT)

test: install
	$(BIN)/python -m pytest -q

lint: install
	$(BIN)/ruff check microe_release tests benchmarks

bench: install
	$(BIN)/python benchmarks/bench_build.py

clean:
	rm -rf $(VENV) $(DEMO_OUT) .pytest_cache
