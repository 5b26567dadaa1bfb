# PHM Navigator. The two commands that matter:
#   make run   - set up .venv and start the app on http://127.0.0.1:8501 (shipped data, SQLite)
#   make test  - set up .venv with the test tools and run the whole suite
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test test-fast lint format bench data clean

run: $(VENV)/.runtime
	$(BIN)/streamlit run app.py --server.address 127.0.0.1 --server.port 8501

test: $(VENV)/.dev  ## lint, then the whole suite (two workers, a test file each at a time: 2 cores)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest -n 2 --dist loadfile

test-fast: $(VENV)/.dev  ## unit and app tests only (no browser)
	$(BIN)/python -m pytest -m "unit or app"

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(VENV)/.dev
	@for script in bench/bench_*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

data: $(VENV)/.runtime  ## rebuild geodata/data from the open data folder
	$(BIN)/python -m geodata.build --source ../shared/data

$(VENV)/.runtime: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
