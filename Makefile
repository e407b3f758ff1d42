# Two commands do everything: `make run` (embedded default with demo data) and `make test` (full suite on real
# services). The other targets are their parts.
.PHONY: run test setup services-start services-stop lint bench clean

run: setup
	@scripts/run.sh

test: setup
	@scripts/test.sh

setup:
	@scripts/setup.sh

services-start: setup
	@scripts/services.sh start

services-stop:
	@scripts/services.sh stop

lint: setup
	.venv/bin/ruff check .
	.venv/bin/mypy rs
	.venv/bin/python manage.py makemigrations --check --dry-run

bench: setup
	@scripts/bench.sh $(B) $(ARGS)

clean:
	rm -rf var/celery var/cache var/static
