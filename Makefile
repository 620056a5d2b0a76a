# kekiz: every install step lives here, so a fresh clone needs only `make run` and `make test`.
SHELL := /bin/bash
UV := $(shell command -v uv 2>/dev/null || echo "python3 -m uv")

.PHONY: run test lint dev bench montecarlo montecarlo-land sample install browser print-check land land-sample clean

install:
	@$(UV) --version >/dev/null 2>&1 || python3 -m pip install --quiet uv
	@$(UV) sync --frozen --quiet

run: install  ## materialise every asset on the bundled sample into warehouse/kekiz.duckdb
	$(UV) run kekiz run

browser:  ## headless Chromium (Debian package) for the print check of bericht.html; without root or apt the check is skipped
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
	  { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } || \
	  echo "Chromium nicht installiert: der Drucktest von bericht.html wird übersprungen."

print-check: install browser  ## print the newest export's bericht.html to PDF and check how it prints
	$(UV) run python scripts/print_report.py

test: install lint browser  ## lint and the whole test suite
	$(UV) run pytest

lint: install
	$(UV) run ruff check .
	$(UV) run ruff format --check .

dev: install  ## Dagster UI (webserver + daemon) on http://127.0.0.1:3000
	$(UV) run kekiz dev

bench: install  ## every benchmark script under benchmarks/ (helpers start with _)
	@for script in benchmarks/[!_]*.py; do echo "== $$script"; $(UV) run python "$$script" || exit 1; done

montecarlo: install  ## Monte Carlo study of the effect estimators and the grade rules (~15 min on 2 cores), writes simulations/monte_carlo_report.md
	$(UV) run python simulations/monte_carlo.py

montecarlo-land: install  ## Monte Carlo study of pooling effects across 18 municipalities (~4 min), writes simulations/pooling_monte_carlo_report.md
	$(UV) run python simulations/pooling_monte_carlo.py

LAND_SAMPLE := var/land-beispiel
PACKAGE_FORMAT = $(shell $(UV) run python -c "from indicators.export.manifest import PACKAGE_FORMAT as f; print(f)")

land-sample: install  ## export packages of 18 synthetic municipalities (city pipeline + export with its disclosure audit on each, several minutes) into var/land-beispiel/, once per package format
	@test "$$(cat $(LAND_SAMPLE)/.fertig 2>/dev/null)" = "$(PACKAGE_FORMAT)" || { rm -rf $(LAND_SAMPLE) && \
	  $(UV) run python -m raw_data.generate_land --out $(LAND_SAMPLE) --count 18 && \
	  echo "$(PACKAGE_FORMAT)" > $(LAND_SAMPLE)/.fertig; }

land: land-sample  ## the state-level evaluation on those packages (with synthetic outlines for its maps): intake, partitions, comparison marts, Land report under land/
	@test -f land/umrisse.geojson || $(UV) run python -m raw_data.generate_land --count 18 --umrisse land/umrisse.geojson
	$(UV) run kekiz land import $(LAND_SAMPLE)/*/

sample: install  ## regenerate the synthetic sample deliveries under raw_data/sample/
	$(UV) run python -m raw_data.generate_sample

clean:  ## remove the generated warehouse, archive and Dagster state (never raw_data/sample)
	rm -rf warehouse/*.duckdb warehouse/*.duckdb.wal warehouse/published raw_data/archive var land
