# The two entry points a newcomer needs are `make run` and `make test`; everything else is a step of theirs.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PLAYGROUND_DIR := tools/playground
PLAYGROUND_STAMP := $(PLAYGROUND_DIR)/node_modules/.installed
TEAMS_JS_DIR := tools/teams-js
TEAMS_JS_STAMP := $(TEAMS_JS_DIR)/node_modules/.installed
HOST ?= 127.0.0.1
PORT ?= 3978

.PHONY: run test install playground teams-js system-packages lint typecheck pytest package bench clean

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) not found: install Python 3.11+ or run make PYTHON=python3.x"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@

install: $(STAMP)

$(PLAYGROUND_STAMP): $(PLAYGROUND_DIR)/package-lock.json
	@command -v npm >/dev/null || { echo "npm not found: install Node.js 20 to use the local Teams playground"; exit 1; }
	npm ci --prefix $(PLAYGROUND_DIR) --no-audit --no-fund --loglevel=error
	@touch $@

playground: $(PLAYGROUND_STAMP)

# Microsoft's TeamsJS, served by the bot to its dashboard tab (Teams SSO) instead of from a CDN.
$(TEAMS_JS_STAMP): $(TEAMS_JS_DIR)/package-lock.json
	@command -v npm >/dev/null || { echo "npm not found: install Node.js 20 to serve the dashboard tab's TeamsJS"; exit 1; }
	npm ci --prefix $(TEAMS_JS_DIR) --no-audit --no-fund --loglevel=error
	@touch $@

teams-js: $(TEAMS_JS_STAMP)

# Starts the bot on SQLite with the example circles, and the local Teams playground pointed at it.
run: $(STAMP) $(PLAYGROUND_STAMP) $(TEAMS_JS_STAMP)
	@mkdir -p var
	$(BIN)/circlebot db upgrade
	$(BIN)/circlebot config apply $${CIRCLEBOT_CONFIG:-circles.example.yaml}
	@BOT_ENDPOINT=http://$(HOST):$(PORT)/api/messages bash $(PLAYGROUND_DIR)/run.sh & \
	  trap 'kill %1 2>/dev/null' EXIT INT TERM; \
	  CIRCLEBOT_CONFIG=$${CIRCLEBOT_CONFIG:-circles.example.yaml} $(BIN)/circlebot serve --host $(HOST) --port $(PORT)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy domain storage adapters bot dialogs app.py

# Debian packages of the real peers and tools some tests use (headless Chromium, Prometheus Alertmanager,
# libfaketime to fast-forward `circlebot serve` through a morning, promtool from `prometheus` for the
# alerting rules), installed when missing if we are root with apt; elsewhere the tests that need them
# skip (under CI=true they fail instead).
SYSTEM_PACKAGES := chromium prometheus-alertmanager faketime prometheus
system-packages:
	@missing=""; for p in $(SYSTEM_PACKAGES); do command -v $$p >/dev/null || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "installing$$missing (apt-get)"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing) \
	    >/dev/null || echo "could not install$$missing: the tests that need it will skip"; \
	fi

pytest: $(STAMP) system-packages
	-@command -v node >/dev/null && $(MAKE) --no-print-directory playground teams-js
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test: lint typecheck pytest

package: $(STAMP)
	$(BIN)/python -m manifest.package --out dist/circlebot-teams-app.zip

bench: $(STAMP)
	$(BIN)/python benchmarks/turns.py

clean:
	rm -rf $(VENV) dist build *.egg-info .pytest_cache .mypy_cache .ruff_cache $(PLAYGROUND_DIR)/node_modules \
	  $(TEAMS_JS_DIR)/node_modules
