# kubetutor — `make help` lists the targets.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

BIN        := bin/kubetutor
KUBECONFIG_LAB := $(CURDIR)/.lab/kubeconfig
GO_TEST_FLAGS ?= -count=1
# The e2e namespace; several runs can share a cluster.
E2E_NS     ?= kubetutor-e2e
# Which e2e tests `make e2e` runs (a go test -run pattern).
E2E_RUN    ?= E2E
# How many times `make chaos` kills the lesson's process.
CHAOS_KILLS ?= 10

.PHONY: help deps run build test unit lint vet golden fuzz bench bench-e2e e2e e2e-node-local e2e-restart chaos lab-up lab-down lab-status lab-images clean

help: ## list the targets
	@grep -hE '^[a-zA-Z0-9_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  \033[1m%-15s\033[0m %s\n", $$1, $$2}'

run: build ## open the tutor on the default lesson (language from LANG; reading mode without a cluster)
	./$(BIN)

build: ## build bin/kubetutor
	go build -o $(BIN) ./cmd/kubetutor

test: vet unit lint e2e ## every test: vet, unit, lesson lint, and e2e on the offline lab (started if needed)
	@echo "✓ make test: all passed"

deps: ## install what the tests need from Debian's packages when missing (tmux; chromium and a Japanese font for the workshop page's browser tests)
	@missing=""; \
	command -v tmux >/dev/null || missing="$$missing tmux"; \
	[ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	dpkg -s fonts-ipafont-gothic >/dev/null 2>&1 || missing="$$missing fonts-ipafont-gothic"; \
	if [ -n "$$missing" ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; fi

vet: ## go vet (with the browser test's files)
	go vet -tags browser ./...

# The build tag browser adds the workshop page's test in headless chromium
# (runner/workshop/web/browser_test.go; a few seconds, no cluster). Every
# package runs under the race detector but runner/render: its layout tests
# are pure computation, have no goroutines, and take 10x longer with -race
# (≈ 220 s instead of 20 s on 2 cores).
unit: deps ## unit, golden, fake-clientset and browser tests (no cluster), with -race
	go test $(GO_TEST_FLAGS) -race -tags browser $$(go list ./... | grep -v '/runner/render$$')
	go test $(GO_TEST_FLAGS) ./runner/render/

lint: build ## lint the built-in lessons in both languages
	./$(BIN) lint --lang en
	./$(BIN) lint --lang ja

golden: ## regenerate golden files of the TUI and the workshop dashboard
	go test ./runner/tui/... ./runner/workshop/dash -update

fuzz: ## fuzz the lesson parser for a minute each
	go test -run XXX -fuzz FuzzParseSpec -fuzztime 30s ./runner/lesson/
	go test -run XXX -fuzz FuzzParseDoc -fuzztime 30s ./runner/lesson/

bench: ## benchmarks (watch-based checks vs polling, rendering)
	go test -run XXX -bench . -benchmem ./...

# e2e brings the offline lab up unless it is already running, runs every
# test behind the e2e build tag against it, and stops the lab again if this
# target started it (a `lab down` that leaves anything behind fails too).
# `lab up --replace` first stops a lab another clone left running. A missing
# cluster fails the e2e tests; they never skip.
# Packages run one at a time (-p 1): a drain evicts every pod of a node, so
# two e2e tests sharing the lab must not overlap. The lab's own kubectl
# (built once, `lab kubectl`) comes first on the PATH: tests type the
# lessons' commands with it, never with whatever kubectl the machine has.
e2e: deps build ## e2e tests on the offline lab (needs Linux and root)
	@started=""; \
	if ! ./$(BIN) lab status >/dev/null 2>&1; then ./$(BIN) lab up --replace; started=1; fi; \
	trap 'rc=$$?; if [ -n "$$started" ]; then ./$(BIN) lab down || rc=1; fi; exit $$rc' EXIT; \
	kubectl="$$(./$(BIN) lab kubectl)"; \
	PATH="$$(dirname "$$kubectl"):$$PATH" KUBECONFIG=$(KUBECONFIG_LAB) KUBETUTOR_BIN=$(CURDIR)/$(BIN) E2E_NS=$(E2E_NS) \
		go test -tags e2e -p 1 $(GO_TEST_FLAGS) -timeout 45m -run '$(E2E_RUN)' -v ./... 2>&1 | grep -vE '^=== (RUN|PAUSE|CONT)'

e2e-node-local: ## the whole MySQL lesson with node-local volumes (lab switched to --storage node-local and back)
	$(MAKE) e2e E2E_RUN=TestMySQLNodeLocalE2E

e2e-restart: ## the API server restarted while checks wait (StatefulSet step, drain), against kubectl wait
	$(MAKE) e2e E2E_RUN=TestAPIServerRestartFull

# bench-e2e runs, on the lab (started and stopped as for e2e), the whole
# lesson (BENCH_LESSON, default mysql) with `run --auto` and as a plain
# kubectl script of the same steps, alternating BENCH_ROUNDS times (default
# 2), and prints per step and in total the times and their ratio. Not part
# of make test.
bench-e2e: deps build ## the lesson vs a plain kubectl script of its steps, side by side on the lab (not in make test)
	@started=""; \
	if ! ./$(BIN) lab status >/dev/null 2>&1; then ./$(BIN) lab up --replace; started=1; fi; \
	trap 'rc=$$?; if [ -n "$$started" ]; then ./$(BIN) lab down || rc=1; fi; exit $$rc' EXIT; \
	kubectl="$$(./$(BIN) lab kubectl)"; \
	PATH="$$(dirname "$$kubectl"):$$PATH" KUBECONFIG=$(KUBECONFIG_LAB) KUBETUTOR_BIN=$(CURDIR)/$(BIN) \
		go test -tags e2e -run XXX -bench LessonVsKubectl -benchtime 1x -timeout 90m ./runner/engine/

# chaos kills the MySQL lesson's process (SIGKILL) at CHAOS_KILLS random
# moments, half the TUI under tmux and half `run --auto`, starting it again
# each time until it finishes (runner/chaos). Not part of `make test`, which
# runs its short version (TestChaosE2E: two kills). The lab as in e2e.
chaos: deps build ## kill the MySQL lesson CHAOS_KILLS times (default 10) until it finishes; on the lab (≈ 2.5 min)
	@started=""; \
	if ! ./$(BIN) lab status >/dev/null 2>&1; then ./$(BIN) lab up --replace; started=1; fi; \
	trap 'rc=$$?; if [ -n "$$started" ]; then ./$(BIN) lab down || rc=1; fi; exit $$rc' EXIT; \
	KUBECONFIG=$(KUBECONFIG_LAB) KUBETUTOR_BIN=$(CURDIR)/$(BIN) CHAOS_KILLS=$(CHAOS_KILLS) \
		go test -tags e2e $(GO_TEST_FLAGS) -timeout 3h -run '^TestChaosFull$$' -v ./runner/chaos/ 2>&1 | grep -vE '^=== (RUN|PAUSE|CONT)'

lab-up: build ## start the offline lab (builds it the first time, ≈ 15 min)
	./$(BIN) lab up

lab-down: build ## stop the offline lab and remove its state (KEEP=1 keeps it)
	./$(BIN) lab down $(if $(KEEP),--keep)

lab-status: build ## show what runs in the offline lab
	./$(BIN) lab status

lab-images: build ## build the lab's images and print the tarballs (for kind/minikube)
	./$(BIN) lab images

clean: ## remove build output (not the lab cache)
	rm -rf bin
