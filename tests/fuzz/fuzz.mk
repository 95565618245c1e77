# Builds the libFuzzer targets (tests/fuzz/fuzz_*.c) with clang into
# build/fuzz/. Called by tests/fuzz/run.sh; not part of the main build.
# The library sources are compiled here a second time, by clang, with
# coverage instrumentation (-fsanitize=fuzzer-no-link) plus ASan and UBSan,
# into two archives: a target links only the members it needs.
#   make -f tests/fuzz/fuzz.mk [FUZZ_BUILD=build/fuzz] targets

FUZZ_BUILD ?= build/fuzz
FUZZ_CC    ?= clang
PKGS       := libcurl libwebsockets json-c libpq openssl inih sqlite3 zlib
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS))
PKG_LIBS   := $(shell pkg-config --libs $(PKGS))
SAN        := -fsanitize=address,undefined -fno-sanitize-recover=all
FCFLAGS    := -g -O1 -fno-omit-frame-pointer -std=c11 -D_GNU_SOURCE -I. $(PKG_CFLAGS) \
	-Wno-unused-command-line-argument

# libvigil's parsers and what they use: every .c of reconcile/, exchanges/,
# sql/, alerts/, plus the watchdog's config and all of base/ (the
# daemon, engine and commands parse nothing from outside and are left out so
# make check's short run compiles less). A link error naming a watchdog
# symbol means a parser grew a dependency: add its file here.
# The simulator's own library = exchanges/sim/*.c but its main.
LIB_SRC := $(wildcard $(addsuffix /*.c,reconcile exchanges alerts sql)) \
	watchdog/config.c watchdog/config_transport.c watchdog/config_url.c watchdog/config_secret.c watchdog/config_api.c watchdog/metrics_http.c watchdog/metrics.c \
	$(wildcard base/*.c)
SIM_SRC := $(filter-out exchanges/sim/main.c,$(wildcard exchanges/sim/*.c))
TARGETS := $(patsubst tests/fuzz/%.c,$(FUZZ_BUILD)/%,$(wildcard tests/fuzz/fuzz_*.c))

obj = $(patsubst %.c,$(FUZZ_BUILD)/obj/%.o,$(1))

.PHONY: targets
targets: $(TARGETS)

$(FUZZ_BUILD)/libvigil.a: $(call obj,$(LIB_SRC))
	@rm -f $@
	@ar rcs $@ $^

$(FUZZ_BUILD)/libsim.a: $(call obj,$(SIM_SRC))
	@rm -f $@
	@ar rcs $@ $^

$(FUZZ_BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	@echo "  CC(fuzz) $<"
	@$(FUZZ_CC) $(FCFLAGS) -fsanitize=fuzzer-no-link $(SAN) -MMD -MP -c -o $@ $<

# libsim before libvigil: the simulator's objects use vigil's log/xalloc.
$(FUZZ_BUILD)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz_util.h $(FUZZ_BUILD)/libsim.a $(FUZZ_BUILD)/libvigil.a
	@echo "  LINK(fuzz) $@"
	@$(FUZZ_CC) $(FCFLAGS) -fsanitize=fuzzer $(SAN) -o $@ $< \
		$(FUZZ_BUILD)/libsim.a $(FUZZ_BUILD)/libvigil.a $(PKG_LIBS) -lpthread -lm

-include $(shell find $(FUZZ_BUILD)/obj -name '*.d' 2>/dev/null)
