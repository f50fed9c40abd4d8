# roster: build, test, sanitize, fuzz, bench.
#   make            release build: build/release/roster
#   make test       layering check + unit tests (Check) + end-to-end tests + fuzz corpus replay
#   make asan       the same tests built with AddressSanitizer + UndefinedBehaviorSanitizer
#   make fuzz       libFuzzer targets, FUZZ_SECONDS each (needs clang)
#   make bench      benchmark tables (bench/README.md)
#   make install    the command, libroster.so, roster.h, roster.pc and the man pages under
#                   $(DESTDIR)$(PREFIX) (PREFIX=/usr/local); `make uninstall` removes them
# Each flavour builds in its own folder, so they never mix objects.

FLAVOUR ?= release
BUILD   := build/$(FLAVOUR)
GEN     := $(BUILD)/gen
CC      ?= cc

PKGS     := jansson sqlite3 libcurl check re2
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs jansson sqlite3 libcurl re2 2>/dev/null)
CHECK_LIBS := $(shell pkg-config --libs check 2>/dev/null)

OPT      ?= -O2
WERROR   ?= -Werror
WARN     := -Wall -Wextra $(WERROR) -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
            -Wpointer-arith -Wvla -Wformat=2 -Wundef -Wcast-qual -Wwrite-strings
GENWARN  := -Wall -Wno-unused-function -Wno-unused-but-set-variable -Wno-sign-compare
SAN      :=
ifeq ($(FLAVOUR),asan)
  OPT := -O1
  SAN := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
endif
CPPFLAGS := -I. -I$(GEN) -D_GNU_SOURCE $(PKG_CFLAGS)
# Release builds turn ALWAYS()/NEVER() into plain tests (common/util.h): an "impossible" case is
# handled, never an abort of a running server. The sanitizer and fuzz builds keep them assertions.
ifeq ($(FLAVOUR),release)
  CPPFLAGS += -DNDEBUG
endif
CFLAGS_ALL = -std=c11 -g $(OPT) $(SAN) -pthread -MMD -MP
# -lstdc++: the RE2 shim (common/regex_re2.cc) is the one C++ file; links stay driven by $(CC).
LDLIBS   := $(PKG_LIBS) -lstdc++ -lm -pthread
# The C++ compiler that matches CC (clang -> clang++, afl-clang-fast -> afl-clang-fast++).
ifneq ($(findstring clang,$(CC)),)
  CXX := $(CC)++
else
  CXX := c++
endif
CXXFLAGS_ALL = -std=c++17 -g $(OPT) $(SAN) -pthread -MMD -MP -Wall -Wextra $(WERROR)
# Library objects are position-independent, with every symbol hidden unless roster.h exports it
# (ROSTER_API): the same objects make libroster.a and libroster.so.
LIB_FLAGS := -fPIC -fvisibility=hidden

MODULES  := common grammar compiler runtime connectors api
LIB_SRCS := $(foreach m,$(MODULES),$(wildcard $(m)/*.c))
LIB_CXX_SRCS := $(foreach m,$(MODULES),$(wildcard $(m)/*.cc))
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/%.o) $(LIB_CXX_SRCS:%.cc=$(BUILD)/%.o) $(GEN)/lexer.o $(GEN)/parser.o
CLI_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(wildcard cli/*.c)) $(GEN)/help.o
LIB      := $(BUILD)/libroster.a
# The shared library's version is roster.h's; its soname carries the major number.
VERSION  := $(shell sed -n 's/^.define ROSTER_VERSION "\(.*\)"$$/\1/p' api/roster.h)
SO_NAME  := libroster.so.$(firstword $(subst ., ,$(VERSION)))
SO       := $(BUILD)/libroster.so.$(VERSION)
BIN      := $(BUILD)/roster
TEST_SRCS := $(wildcard tests/check_*.c)
TEST_BINS := $(TEST_SRCS:tests/%.c=$(BUILD)/tests/%)
BENCH_BINS := $(patsubst bench/%.c,$(BUILD)/bench/%,$(wildcard bench/*.c))

# The command pages (docs/commands/README.md): each command's --help text, compiled into the
# command, and its man page, both from one text. COMMANDS is the order roster(1) lists them in.
COMMANDS  := check fmt compile disasm dry-run recalc members map snapshot
CMD_PAGES := docs/commands/roster.txt $(COMMANDS:%=docs/commands/%.txt)
MAN_PAGES := $(BUILD)/man/roster.1 $(COMMANDS:%=$(BUILD)/man/roster-%.1)

.PHONY: all test unit e2e asan fuzz fuzz-build fuzz-replay bench clean deps install uninstall
.DELETE_ON_ERROR:
# Objects of tests and benchmarks are kept (they are intermediate files of a pattern chain).
.SECONDARY:

all: $(BIN) $(SO) $(MAN_PAGES) $(BENCH_BINS)

deps:
	sh scripts/install-deps.sh

# ---- generated sources (build outputs, never committed) ----
$(GEN)/casefold_table.h: scripts/gen-casefold.sh
	@mkdir -p $(@D)
	sh scripts/gen-casefold.sh /usr/share/unicode/CaseFolding.txt > $@.tmp && mv $@.tmp $@

# One grouped rule: bison runs once even under -j.
$(GEN)/parser.c $(GEN)/parser.h &: grammar/parser.y
	@mkdir -p $(@D)
	bison -Wall -Werror --defines=$(GEN)/parser.h -o $(GEN)/parser.c $<

$(GEN)/lexer.c: grammar/lexer.re $(GEN)/parser.h
	@mkdir -p $(@D)
	re2c -W --no-generation-date --no-version -o $@ $<

$(GEN)/%.o: $(GEN)/%.c
	$(CC) $(CPPFLAGS) -Igrammar $(CFLAGS_ALL) $(OBJ_FLAGS) $(GENWARN) -c -o $@ $<

$(BUILD)/common/utf8.o: $(GEN)/casefold_table.h

# ---- the command pages: --help texts and man pages ----
$(GEN)/help.c: $(CMD_PAGES) scripts/cmddoc.awk
	@mkdir -p $(@D)
	awk -v mode=help -f scripts/cmddoc.awk $(CMD_PAGES) > $@.tmp && mv $@.tmp $@

$(BUILD)/man/roster.1: $(CMD_PAGES) scripts/cmddoc.awk api/roster.h
	@mkdir -p $(@D)
	awk -v mode=man -v version=$(VERSION) -f scripts/cmddoc.awk $(CMD_PAGES) > $@.tmp && mv $@.tmp $@

$(BUILD)/man/roster-%.1: docs/commands/%.txt scripts/cmddoc.awk api/roster.h
	@mkdir -p $(@D)
	awk -v mode=man -v version=$(VERSION) -f scripts/cmddoc.awk $< > $@.tmp && mv $@.tmp $@

# ---- our own code: the full warning list ----
$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS_ALL) $(OBJ_FLAGS) $(WARN) -c -o $@ $<

$(BUILD)/%.o: %.cc
	@mkdir -p $(@D)
	$(CXX) $(CPPFLAGS) $(CXXFLAGS_ALL) $(OBJ_FLAGS) -c -o $@ $<

# grammar/ sources may include the generated token header.
$(BUILD)/grammar/%.o: grammar/%.c | $(GEN)/parser.h
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS_ALL) $(OBJ_FLAGS) $(WARN) -c -o $@ $<

$(LIB_OBJS): OBJ_FLAGS := $(LIB_FLAGS)

$(LIB): $(LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

# libroster.so exports roster.h's functions and nothing else (api/exports.ver); -z defs: every
# symbol it needs is found at link time, not when a program loads it.
$(SO): $(LIB_OBJS) api/exports.ver
	$(CC) $(CFLAGS_ALL) -shared -Wl,-soname,$(SO_NAME) -Wl,--version-script=api/exports.ver \
	  -Wl,-z,defs -Wl,--as-needed -o $@ $(LIB_OBJS) $(LDLIBS)
	ln -sf $(notdir $@) $(BUILD)/$(SO_NAME)
	ln -sf $(SO_NAME) $(BUILD)/libroster.so

$(BIN): $(CLI_OBJS) $(LIB)
	$(CC) $(CFLAGS_ALL) -o $@ $(CLI_OBJS) $(LIB) $(LDLIBS)

$(BUILD)/tests/%: $(BUILD)/tests/%.o $(LIB)
	$(CC) $(CFLAGS_ALL) -o $@ $< $(LIB) $(CHECK_LIBS) $(LDLIBS)

$(BUILD)/bench/%: $(BUILD)/bench/%.o $(LIB)
	$(CC) $(CFLAGS_ALL) -o $@ $< $(LIB) $(LDLIBS)

# ---- tests ----
test: layers unit e2e fuzz-replay

# No module includes or calls one above it, no include or call cycle within a folder
# (scripts/check-layers.sh holds the order).
.PHONY: layers
layers: $(LIB) $(CLI_OBJS)
	@sh scripts/check-layers.sh $(BUILD)

unit: $(TEST_BINS)
	@sh scripts/run-unit.sh $(TEST_BINS)

# test_install.sh runs `make install` of what is built here: built first, so that it only copies.
e2e: $(BIN) $(SO) $(MAN_PAGES) $(BENCH_BINS)
	@sh tests/e2e/run.sh $(BIN)

fuzz-replay: $(BUILD)/fuzz-replay/.built
	@sh scripts/fuzz-replay.sh $(BUILD)/fuzz-replay

asan:
	$(MAKE) FLAVOUR=asan test

# ---- fuzzing (issue #4): fuzz/Makefile.inc owns the target list ----
-include fuzz/Makefile.inc

# Every object depends on the flags it was compiled with, written to $(BUILD)/flags when they change
# (another CC, OPT or option above): objects built with other flags are rebuilt, never linked with
# new ones (a library object without -fPIC cannot go into libroster.so). After the fuzz include,
# which sets the fuzz flavours' flags.
FLAGS_FILE := $(BUILD)/flags
FLAGS_LINE = $(CC) $(CXX) $(CPPFLAGS) $(CFLAGS_ALL) $(CXXFLAGS_ALL) $(LIB_FLAGS) $(WARN) $(GENWARN)
$(shell mkdir -p $(BUILD) && { [ "$$(cat $(FLAGS_FILE) 2>/dev/null)" = '$(FLAGS_LINE)' ] || \
  printf '%s\n' '$(FLAGS_LINE)' > $(FLAGS_FILE); })
$(LIB_OBJS) $(CLI_OBJS) $(TEST_BINS:%=%.o) $(BENCH_BINS:%=%.o): $(FLAGS_FILE)

# ---- benchmarks ----
bench: $(BIN) $(BENCH_BINS)
	sh bench/run.sh $(BUILD)

# ---- install: the command, the shared library, roster.h, roster.pc, the man pages ----
PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
LIBDIR     ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
MANDIR     ?= $(PREFIX)/share/man
# roster.pc names its folders from ${prefix}, so pkg-config --define-prefix can move them.
PC_DIR      = $(patsubst $(PREFIX)/%,$${prefix}/%,$(1))

install: $(BIN) $(SO) $(MAN_PAGES)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(MANDIR)/man1
	install -m 755 $(BIN) $(DESTDIR)$(BINDIR)/roster
	install -m 755 $(SO) $(DESTDIR)$(LIBDIR)/$(notdir $(SO))
	ln -sf $(notdir $(SO)) $(DESTDIR)$(LIBDIR)/$(SO_NAME)
	ln -sf $(SO_NAME) $(DESTDIR)$(LIBDIR)/libroster.so
	install -m 644 api/roster.h $(DESTDIR)$(INCLUDEDIR)/roster.h
	sed -e 's|@prefix@|$(PREFIX)|' -e 's|@libdir@|$(call PC_DIR,$(LIBDIR))|' \
	    -e 's|@includedir@|$(call PC_DIR,$(INCLUDEDIR))|' -e 's|@version@|$(VERSION)|' \
	    api/roster.pc.in > $(DESTDIR)$(LIBDIR)/pkgconfig/roster.pc
	chmod 644 $(DESTDIR)$(LIBDIR)/pkgconfig/roster.pc
	install -m 644 $(MAN_PAGES) $(DESTDIR)$(MANDIR)/man1/

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/roster $(DESTDIR)$(LIBDIR)/$(notdir $(SO)) $(DESTDIR)$(LIBDIR)/$(SO_NAME) \
	      $(DESTDIR)$(LIBDIR)/libroster.so $(DESTDIR)$(INCLUDEDIR)/roster.h \
	      $(DESTDIR)$(LIBDIR)/pkgconfig/roster.pc $(patsubst $(BUILD)/man/%,$(DESTDIR)$(MANDIR)/man1/%,$(MAN_PAGES))

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)

# ---- the main job on the bundled example: recalculate every example group, then a dry-run ----
DEMO_AS_OF ?= 2026-11-21
demo: $(BIN)
	@rm -f $(BUILD)/demo.db
	@echo '$$ roster check examples/rules examples/rules-json --snapshot examples/org'
	@$(BIN) check examples/rules examples/rules-json --snapshot examples/org
	@echo '$$ roster recalc --rules examples/rules --snapshot examples/org --state $(BUILD)/demo.db --as-of $(DEMO_AS_OF) --stats --out $(BUILD)/demo-delta.jsonl'
	@$(BIN) recalc --rules examples/rules --snapshot examples/org --state $(BUILD)/demo.db --as-of $(DEMO_AS_OF) --stats --out $(BUILD)/demo-delta.jsonl
	@head -n 12 $(BUILD)/demo-delta.jsonl
	@echo "... ($$(wc -l < $(BUILD)/demo-delta.jsonl) lines in $(BUILD)/demo-delta.jsonl)"
	@echo '$$ roster dry-run examples/rules-json/interns-office-a.json --snapshot examples/org --state $(BUILD)/demo.db --as-of $(DEMO_AS_OF)'
	@$(BIN) dry-run examples/rules-json/interns-office-a.json --snapshot examples/org --state $(BUILD)/demo.db --as-of $(DEMO_AS_OF)
.PHONY: demo
