# The two commands of the README: `make run` and `make test`. Everything else is a step of theirs.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 5000
export FLASK_APP := saas.app
export BASE_URL ?= http://127.0.0.1:$(PORT)

.PHONY: run test install translations messages clean

# What running needs; `make test` adds the test tools on top.
$(BIN)/.runtime: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $@

$(BIN)/.test-tools: $(BIN)/.runtime
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(BIN)/.test-tools translations

translations: $(BIN)/.runtime
	$(BIN)/pybabel compile -d saas/translations

# After changing a translatable text: the template and each language's catalogue get the new messages (then
# translate them in the .po files and `make translations`). The lazy `_l` of forms and enums is named here.
messages: $(BIN)/.runtime
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o saas/translations/messages.pot .
	$(BIN)/pybabel update -i saas/translations/messages.pot -d saas/translations

run: $(BIN)/.runtime translations
	$(BIN)/flask db upgrade
	$(BIN)/flask prepare-categoriser
	$(BIN)/flask demo
	@echo "Emails are not sent: they are written to instance/outbox/ as .eml files, and an owner reads them on the Outbox page."
	$(BIN)/flask run --host 127.0.0.1 --port $(PORT)

test: install
	$(BIN)/pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) instance/*.sqlite3 instance/outbox
