# capa: PGXS build, tests and demo.  `make test` and `make demo` do all
# the set-up on a fresh Debian 12 machine (see README.md).

EXTENSION = capa
EXTVERSION := $(shell sed -n "s/^default_version = '\(.*\)'/\1/p" $(EXTENSION).control)
MODULE_big = capa
# src/module.c (_PG_init) and src/<part>/*.c, one folder a part of capa
# (src/README.md)
OBJS = $(patsubst %.c,%.o,$(sort $(wildcard src/*.c src/*/*.c)))
# includes name the part: #include "audit/chain.h"
PG_CPPFLAGS += -Isrc
DATA = $(wildcard sql/$(EXTENSION)--*.sql)

# pg_regress: sql/NN_topic.sql against expected/NN_topic.out, in this order
REGRESS = 00_install 10_types 20_corrective 21_preventive 22_improvement \
          30_evidence 35_import 40_audit 45_chain 46_verify 47_reference_verifier 50_privileges 55_links 56_report 57_kpi_history 58_escalation 59_intake 60_dossier 61_rls 62_governed 99_uninstall
REGRESS_OPTS = --inputdir=. --launcher=$(CURDIR)/test/regress-launcher.sh

# isolation specs: test/specs/NAME.spec against test/expected/NAME.out
ISOLATION = $(patsubst test/specs/%.spec,%,$(sort $(wildcard test/specs/*.spec)))
ISOLATION_OPTS = --inputdir=test --launcher=$(CURDIR)/test/regress-launcher.sh

# The PostgreSQL major: the system's 15, or 17, 18 or 19 (make test PG=18),
# which test/chroot.sh runs from Debian's packages in a cached chroot
PG ?= 15
# PG=NN on the command line names the installation, whatever PG_CONFIG the
# environment holds: make exports PG_CONFIG (below) to its scripts and
# sub-makes, so `make test PG=17` run under `make test-matrix` (which
# exported 15's) used to build, install and test on the system's 15 --
# installing capa into it under everybody else's runs.  PG_CONFIG=... on
# the command line still wins.
ifeq ($(origin PG),command line)
PG_CONFIG = /usr/lib/postgresql/$(PG)/bin/pg_config
else
PG_CONFIG ?= /usr/lib/postgresql/$(PG)/bin/pg_config
endif
export PG_CONFIG
# Warnings are errors (make test, CI); a production build with a newer
# compiler than the ones tested may turn that off: make CAPA_WERROR= install
CAPA_WERROR ?= -Werror
PG_CFLAGS += -Wall -Wextra $(CAPA_WERROR) -Wno-unused-parameter -Wno-missing-field-initializers
# SHA-256 through OpenSSL's EVP, as the server itself is built (chain.c)
SHLIB_LINK += -lcrypto
# clang bitcode for JIT is not needed (override: PGXS's Makefile.global,
# included below, sets it back to the server's configure choice)
override with_llvm = no

EXTRA_CLEAN = results output_iso regression.diffs regression.out test/test.log test/summary.txt \
              test/matrix-*.log test/assert-*.log

# On a fresh machine the server headers (and so PGXS) arrive with `make
# deps`; test and demo install them first, then build in a sub-make.
PGXS := $(shell $(PG_CONFIG) --pgxs 2>/dev/null)
ifneq ($(PGXS),)
include $(PGXS)
endif
.DEFAULT_GOAL := all

.PHONY: test test-here test-matrix demo deps

# The one test command: packages, build with -Werror, install, then regress,
# isolation and pgTAP on a throwaway cluster; ends with "N passed, N failed".
# PG=NN: the same on major NN, in its chroot when this machine does not
# have that major (made the first time, reused after: test/chroot.sh)
test: deps
	@if [ -x "$(PG_CONFIG)" ]; then $(MAKE) --no-print-directory test-here; \
	 else ./test/chroot.sh test $(PG); fi

# make test's steps, on the PostgreSQL that PG_CONFIG names
test-here:
	$(MAKE) clean >/dev/null
	$(MAKE) all
	$(MAKE) install
	./test/run.sh

# The suite on 15, 17, 18 and 19, and capa across a major upgrade (15 to
# 18 with pg_upgrade, and with pg_dump and restore); one line per part,
# then the total "N passed, N failed" (test/matrix.sh).  Nothing is
# installed into the system's PostgreSQL: 15 runs in a private copy of it
# (as check-private), 17-19 in their chroots, the upgrade in private
# copies of source builds.
test-matrix:
	./test/install-deps.sh 15 17 18 19 source
	./test/matrix.sh

# capa across a major upgrade alone (part of test-matrix)
.PHONY: test-major-upgrade
test-major-upgrade:
	./test/install-deps.sh 15 source
	./test/major_upgrade.sh

# The suite on PostgreSQL 15.18 and 18.6 built from source with
# --enable-cassert (cached): no TRAP, no backend killed by a signal, no
# leak warning in the server logs (test/assert.sh)
.PHONY: test-assert
test-assert:
	./test/install-deps.sh 15 source
	./test/assert.sh cassert

# The suite on PostgreSQL 18.6 built with -fsanitize=address,undefined,
# capa built the same way: no sanitizer report (test/assert.sh)
.PHONY: sanitize-server
sanitize-server:
	./test/install-deps.sh 15 source
	./test/assert.sh asan

# Build, install, and walk a real corrective action through its lifecycle
# on a throwaway cluster.
demo: deps
	$(MAKE) all
	$(MAKE) install
	pg_virtualenv -t -v $(PG) psql -X -v ON_ERROR_STOP=1 -f demo/demo.sql

deps:
	./test/install-deps.sh $(PG)

# PGXS does not track header dependencies: rebuild every object when a
# header changes (the plan and column enums in common/schema_cache.h index arrays).
$(OBJS): $(wildcard src/*/*.h)

# The whole suite against capa built with AddressSanitizer and UBSan, in a
# private copy of the PostgreSQL installation (see test/sanitize.sh)
.PHONY: sanitize
sanitize: deps
	./test/sanitize.sh

# The suite (regress, isolation, pgTAP, restore) against this working copy
# built into a private copy of the PostgreSQL installation: the system's
# capa is left alone, so several working copies can be tested at once
.PHONY: check-private
check-private: deps
	CAPA_SANITIZERS=none ./test/sanitize.sh

# kill -9 crash recovery, ROUNDS rounds (make test runs 2)
.PHONY: crash
crash: deps
	$(MAKE) all
	$(MAKE) install
	ROUNDS=$${ROUNDS:-10} ./test/crash.sh

# A short run under valgrind memcheck (see test/valgrind.sh)
.PHONY: valgrind
valgrind: deps
	$(MAKE) all
	$(MAKE) install
	./test/valgrind.sh

# A bounded mixed workload from many clients, then the invariants (TAP);
# SOAK_MINUTES (5) and SOAK_CLIENTS (16) set its size
.PHONY: soak
soak: deps
	$(MAKE) all
	$(MAKE) install
	./test/soak.sh

# Throughput of capa against the floor and the PL/pgSQL peer (ratios),
# then capa_audit_verify's audit rows per second
.PHONY: bench bench-verify
bench: deps
	$(MAKE) all
	$(MAKE) install
	./bench/run.sh
	./bench/verify.sh

bench-verify: deps
	$(MAKE) all
	$(MAKE) install
	./bench/verify.sh

# A million records (IMPORT_ROWS) through capa_import: records per second,
# then the KPI read latencies on them
.PHONY: bench-import
bench-import: deps
	$(MAKE) all
	$(MAKE) install
	./bench/import.sh

# A backend's memory over 100,000 lifecycles (LIFECYCLES): flat, or not
.PHONY: bench-memory
bench-memory: deps
	$(MAKE) all
	$(MAKE) install
	./bench/memory.sh

# libFuzzer harnesses: make fuzz, make fuzz-smoke (fuzz/README.md)
include fuzz/fuzz.mk
fuzz fuzz-smoke: deps
