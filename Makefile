# RiverPatrol: the two commands a newcomer needs are `make run` and `make test`.
VENV := .venv/bin
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test bench mobile lint clean

run:
	bash scripts/bootstrap.sh run
	$(VENV)/riverpatrol db upgrade
	$(VENV)/riverpatrol demo load
	$(VENV)/riverpatrol demo accounts
	$(VENV)/riverpatrol serve --host $(HOST) --port $(PORT)

# The suite runs on every core (pytest-xdist); PYTEST_ARGS="-n 0" runs it in one process.
PYTEST_ARGS ?= -n auto

test:
	bash scripts/bootstrap.sh test
	$(VENV)/ruff check server shared_models tests phone_tests bench mobile main.py
	.venv-phone/bin/python -m pytest phone_tests $(PYTEST_ARGS)
	$(VENV)/python -m pytest $(PYTEST_ARGS)

# The field app on the desktop against `make run`'s server, its GPS fed by a real GPX file.
GPX ?= tests/data/tracks/demo-gelaomen.gpx
SPEED ?= 10
mobile:
	bash scripts/bootstrap.sh mobile
	.venv-phone/bin/python -m mobile --server http://$(HOST):$(PORT) --gpx $(GPX) --speed $(SPEED) --data instance/phone

bench:
	bash scripts/bootstrap.sh test
	$(VENV)/python bench/tracks.py
	$(VENV)/python bench/trust.py
	$(VENV)/python bench/assessment.py
	$(VENV)/python bench/explain.py
	$(VENV)/python bench/console.py
	$(VENV)/python bench/fuzz.py
	$(VENV)/python bench/load.py
	$(VENV)/python bench/abuse.py
	$(VENV)/python bench/photos.py

lint:
	$(VENV)/ruff check server shared_models tests phone_tests

clean:
	rm -rf instance .pytest_cache
