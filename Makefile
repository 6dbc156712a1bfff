# Everything runs from .venv, created on first use with the system python3 (3.11+).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test test-postgres check bench screenshots clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test,postgres,redis,server]"
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py oauthhub_demo --base-url http://127.0.0.1:8000
	$(BIN)/python manage.py runserver 127.0.0.1:8000

test: $(STAMP)
	$(BIN)/python -m pytest -n auto $(PYTEST_ARGS)

check: $(STAMP)
	$(BIN)/python manage.py makemigrations --check --dry-run
	DJANGO_ENV=production SECRET_KEY=$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(50))') \
	  OAUTHHUB_KEY_ENCRYPTION_KEY=$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(50))') \
	  ALLOWED_HOSTS=auth.example.com OAUTHHUB_ISSUER_BASE_URL=https://auth.example.com \
	  $(BIN)/python manage.py check --deploy --fail-level WARNING

bench: $(STAMP)
	$(BIN)/python bench/token_endpoint.py

# Regenerates docs/screenshots/*.png with Debian's Chromium (apt-get install -y chromium):
# a throwaway SQLite demo, a gunicorn process on loopback, the admin driven by Playwright.
screenshots: $(STAMP)
	$(BIN)/python -m tests.browser.screenshots

clean:
	rm -rf $(VENV) db .pytest_cache
