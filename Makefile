# One entry point for a newcomer: `make up` runs the platform, `make test` runs every test.
SHELL := /usr/bin/env bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

SERVICES := gateway auth product order payment notification
DB_SERVICES := auth product order payment notification
LOCAL := deploy/local
RUN_DIR ?= $(CURDIR)/.run
export RUN_DIR
# The project's Node (deploy/local/node.sh, run by `make install`) comes first on PATH when the
# machine's own is older; everything below, pnpm and the services included, runs on it.
export PATH := $(CURDIR)/.tools/node/bin:$(PATH)
# Test packages run side by side; each is mostly waiting on I/O.
TEST_CONCURRENCY ?= 3

.PHONY: help install build infra up down status test lint check-types kafka-up kafka-down \
        audit bench chaos chaos-quick compose-up compose-down compose-check \
        migrate-up migrate-down clean-test-dbs $(addprefix run-,$(SERVICES)) \
        $(addprefix migrate-up-,$(DB_SERVICES)) $(addprefix migrate-down-,$(DB_SERVICES))

help: ## this list
	@grep -hE '^([a-zA-Z%_-]+|\$$\(addprefix [^,]*,\$$\([A-Z_]+\)\)): .*## ' $(MAKEFILE_LIST) \
	  | sed -E 's/^\$$\(addprefix [^,]*,\$$\([A-Z_]+\)\): ([^:]+):/\1:/; s/:.*## /\t/' | expand -t 24

install: ## Node 26 when the machine's is older, pnpm (pinned), every dependency, Chromium for the browser tests
	@$(LOCAL)/tools.sh
	@$(LOCAL)/browser.sh

build: install ## compile every package and service
	@pnpm turbo build --output-logs=errors-only

infra: ## PostgreSQL and Redis (started if down) and the local Kafka broker
	@$(LOCAL)/infra.sh up

kafka-up: ## start the local Kafka broker (a no-op when running, skipped when KAFKA_BROKERS points elsewhere)
	@$(LOCAL)/kafka.sh up

kafka-down: ## stop the local Kafka broker
	@$(LOCAL)/kafka.sh down

migrate-up: $(addprefix migrate-up-,$(DB_SERVICES)) ## apply every service's migrations

migrate-down: $(addprefix migrate-down-,$(DB_SERVICES)) ## roll back the newest migration of every service

# Static pattern rules: plain pattern rules are never used for .PHONY targets.
$(addprefix migrate-up-,$(DB_SERVICES)): migrate-up-%: install ## apply one service's migrations, e.g. make migrate-up-order
	@$(LOCAL)/migrate.sh $* up

$(addprefix migrate-down-,$(DB_SERVICES)): migrate-down-%: install ## roll back one service's newest migration
	@$(LOCAL)/migrate.sh $* rollback

migrate-new-%: install ## a new migration file: make migrate-new-order NAME=add_x
	@$(LOCAL)/migrate.sh $* new $(NAME)

up: install ## run the whole platform in the background; logs in .run/logs
	@$(LOCAL)/kafka.sh status >/dev/null 2>&1 || touch $(RUN_DIR)/started-kafka
	@$(MAKE) --no-print-directory infra build migrate-up
	@$(LOCAL)/stack.sh start

down: ## stop what `make up` started, nothing else
	@$(LOCAL)/stack.sh stop
	@if [[ -f $(RUN_DIR)/started-kafka ]]; then $(LOCAL)/kafka.sh down; rm -f $(RUN_DIR)/started-kafka; fi
	@$(LOCAL)/infra.sh down

status: ## which services run
	@$(LOCAL)/stack.sh status

$(addprefix run-,$(SERVICES)): run-%: build ## one service in the foreground, e.g. make run-gateway
	@$(LOCAL)/stack.sh run $*

clean-test-dbs: ## drop databases left by interrupted test runs
	@psql -X -q -At "$${PG_URL:-postgres://postgres@127.0.0.1:5432}/postgres" -c \
	  "select format('drop database if exists %I with (force);', datname) from pg_database where datname ~ '^shop_.*_t_[0-9a-f]+$$'" \
	  | psql -X -q "$${PG_URL:-postgres://postgres@127.0.0.1:5432}/postgres" >/dev/null

test: install infra clean-test-dbs lint check-types ## static checks, then every test, against real PostgreSQL, Redis and Kafka
	@rm -f {packages,services,apps,tests}/*/test-results.json
	@pnpm turbo test --continue --concurrency=$(TEST_CONCURRENCY) --output-logs=new-only

lint: install ## biome: lint and format check
	@pnpm biome check .

check-types: install ## type-check every package, tests included
	@pnpm turbo check-types --output-logs=errors-only

bench: install infra build ## the saga, gateway and database benchmarks; reports in bench-results/
	@pnpm --filter @shop/bench bench
	@pnpm --filter @shop/outbox bench

chaos: install infra build ## fault injection under load (kill -9, broker outage, ...) with invariant checks
	@pnpm --filter @shop/chaos chaos

chaos-quick: install infra build ## the short fault-injection suite that `make test` runs too
	@pnpm --filter @shop/chaos test

audit: install ## high/critical advisories in production dependencies (allow-list: deploy/local/audit-allowlist.txt)
	@$(LOCAL)/audit.sh

compose-up: ## the whole stack in Docker (needs a Docker engine); see deploy/README.md
	@$(LOCAL)/stack.sh secrets
	KEY_ENCRYPTION_SECRET="$${KEY_ENCRYPTION_SECRET:-$$(cat $(RUN_DIR)/secrets/key-encryption-secret)}" \
	  docker compose -f deploy/docker-compose.yml up -d --build

compose-down: ## stop the Docker stack and drop its volumes
	docker compose -f deploy/docker-compose.yml down -v

compose-check: ## validate the compose file, Prometheus config and dashboards without Docker
	@deploy/check.sh
