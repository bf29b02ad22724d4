# fuzz/fuzz.mk: libFuzzer harnesses for capa's pure C parts (fuzz/README.md).
#
# Included from the top Makefile (after the PGXS include); also works alone:
#   make -f fuzz/fuzz.mk fuzz
#
#   make fuzz         build, then run each harness FUZZ_SECONDS (default 60)
#                     on a copy of its corpus; fails on any crash, leak, UB
#                     or broken property
#   make fuzz-smoke   the same for FUZZ_SMOKE_SECONDS (default 5) each,
#                     printing one TAP line per harness
#   make fuzz-build   build only (fuzz/build/fuzz_<target>)
#   make fuzz-clean
#
# Nothing here touches the installed extension or needs a server: the
# harnesses compile capa's sources directly against the server headers,
# with small stand-ins for the backend (fuzz/pg_stubs.c, pg_unreachable.c).

FUZZ_CC ?= clang-14
FUZZ_SECONDS ?= 60
FUZZ_SMOKE_SECONDS ?= 5
FUZZ_TARGETS = state severity ref audit json_text digest rules

PG_CONFIG ?= /usr/lib/postgresql/15/bin/pg_config
# the capa sources under test, and where the build goes (fuzz/plant.sh
# points them at a copy with a planted bug)
FUZZ_SRC ?= src
# (F3 is fixed: fuzz_json_text has no screen any more)
FUZZ_DEFS ?=
FUZZ_BUILD ?= fuzz/build
FUZZ_PG_INCLUDE := $(shell $(PG_CONFIG) --includedir-server 2>/dev/null)
FUZZ_PG_LIBDIR := $(shell $(PG_CONFIG) --pkglibdir 2>/dev/null)

# Strict C: no -fwrapv (unlike the server build), so UBSan reports any
# signed overflow the code would otherwise silently wrap.
FUZZ_SANITIZE = -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
FUZZ_CFLAGS = -g -O1 -fno-omit-frame-pointer -fno-strict-aliasing $(FUZZ_SANITIZE) \
	-Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers \
	-Wno-ignored-attributes -MMD -MP
FUZZ_CPPFLAGS = $(FUZZ_DEFS) -D_GNU_SOURCE -I$(FUZZ_SRC) -Ifuzz -I$(FUZZ_PG_INCLUDE)
# StringInfo, psprintf and PostgreSQL's printf: the frontend builds of the
# server's own sources (the PIC variants, for a PIE executable)
FUZZ_PG_LIBS = $(FUZZ_PG_LIBDIR)/libpgcommon_shlib.a $(FUZZ_PG_LIBDIR)/libpgport_shlib.a
# chain.c hashes with OpenSSL's EVP (as capa links it: SHLIB_LINK)
FUZZ_LIBS_audit = -lcrypto
FUZZ_LIBS_digest = -lcrypto

# Objects of each harness (fuzz/build/obj/<name>.o from src/<part>/ or fuzz/)
FUZZ_STUBS = pg_stubs
FUZZ_OBJS_state = fuzz_state types/label_types types/labels $(FUZZ_STUBS)
FUZZ_OBJS_severity = fuzz_severity types/label_types types/labels $(FUZZ_STUBS)
FUZZ_OBJS_ref = fuzz_ref types/ref_type types/ref_format $(FUZZ_STUBS)
FUZZ_OBJS_audit = fuzz_audit jsonb_build audit/chain audit/json_text $(FUZZ_STUBS) pg_adt_stubs pg_unreachable
FUZZ_OBJS_json_text = fuzz_json_text jsonb_build audit/json_text $(FUZZ_STUBS) pg_adt_stubs
FUZZ_OBJS_digest = fuzz_digest audit/digest audit/chain audit/json_text $(FUZZ_STUBS) pg_adt_stubs pg_unreachable
FUZZ_OBJS_rules = fuzz_rules lifecycle/rules

FUZZ_BINS = $(addprefix $(FUZZ_BUILD)/fuzz_,$(FUZZ_TARGETS))
FUZZ_ALL_OBJS = $(sort $(foreach t,$(FUZZ_TARGETS),$(FUZZ_OBJS_$(t))))

.PHONY: fuzz fuzz-smoke fuzz-build fuzz-clean

fuzz-build: $(FUZZ_BINS)

fuzz: fuzz-build
	FUZZ_BUILD=$(FUZZ_BUILD) ./fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_TARGETS)

fuzz-smoke: fuzz-build
	FUZZ_BUILD=$(FUZZ_BUILD) ./fuzz/run.sh $(FUZZ_SMOKE_SECONDS) $(FUZZ_TARGETS)

fuzz-clean:
	rm -rf $(FUZZ_BUILD)

$(FUZZ_BUILD)/obj/%.o: $(FUZZ_SRC)/%.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CPPFLAGS) $(FUZZ_CFLAGS) -c $< -o $@

$(FUZZ_BUILD)/obj/%.o: fuzz/%.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CPPFLAGS) $(FUZZ_CFLAGS) -c $< -o $@

define FUZZ_LINK
$(FUZZ_BUILD)/fuzz_$(1): $(patsubst %,$(FUZZ_BUILD)/obj/%.o,$(FUZZ_OBJS_$(1)))
	$$(FUZZ_CC) $$(FUZZ_SANITIZE) $$^ $$(FUZZ_PG_LIBS) $$(FUZZ_LIBS_$(1)) -o $$@
endef
$(foreach t,$(FUZZ_TARGETS),$(eval $(call FUZZ_LINK,$(t))))

-include $(patsubst %,$(FUZZ_BUILD)/obj/%.d,$(FUZZ_ALL_OBJS))

EXTRA_CLEAN += $(FUZZ_BUILD)
