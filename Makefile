# omniq - top-level build.
#   make          build every module under modules/ against the Kamailio source that matches
#                 the installed kamailio (fetched once into .cache/ with apt-get source)
#   make run      build, then run redis-server + kamailio with cfg/omniq.cfg on loopback
#   make test     install what the tests need, build, run every test
#   make bench    run the benchmarks under bench/
# KAMAILIO_SRC=/path builds against another (configured) Kamailio tree.

CACHE ?= $(CURDIR)/.cache
BUILD ?= $(CURDIR)/build
MODULES := $(patsubst modules/%/Makefile,%,$(wildcard modules/*/Makefile))

.PHONY: all deps deps-test modules run test unit bench clean
all: modules

deps:
	@scripts/deps.sh build

deps-test:
	@scripts/deps.sh test

modules: deps
	@set -e; src=$$(scripts/kamailio-src.sh $(CACHE)); mkdir -p $(BUILD)/modules; \
	for m in $(MODULES); do \
	  $(MAKE) --no-print-directory -C modules/$$m COREPATH=$$src/src quiet=silent; \
	  cp modules/$$m/$$m.so $(BUILD)/modules/; \
	done; echo "built: $(MODULES) -> $(BUILD)/modules"

run: modules
	@scripts/run.sh

unit:
	@$(MAKE) --no-print-directory -C tests/unit check BUILD=$(BUILD)/unit

test: deps-test
	@$(MAKE) --no-print-directory modules
	@tests/run.sh

bench: modules
	@bench/run.sh

clean:
	rm -rf $(BUILD)
	@for m in $(MODULES); do rm -f modules/$$m/*.o modules/$$m/*.d modules/$$m/*.so modules/$$m/oq_lualib.c; done
