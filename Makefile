# omniq - top-level build.
#   make          build every module under modules/ against the Kamailio source that matches
#                 the installed kamailio (fetched once into .cache/ with apt-get source), the
#                 engine, and omniq-deliver (Postfix's pipe to omniq_email) into build/bin/
#   make run      build, then run redis-server + kamailio with cfg/omniq.cfg on loopback
#   make prompts  omniq_media's spoken prompts (espeak-ng) into build/prompts/{zh,en}
#   make test     install what the tests need, build, run every test
#   make bench    run the benchmarks under bench/
#   make image    the container image (docker/Dockerfile) with buildah, no daemon needed
#   make test-image   build it, start Redis and two nodes from it, run the smoke tests
#   make chaos    the faults drill's long form: five minutes of calls and chats over two
#                 nodes through Redis restarts and kills, library flushes, a node killed
#                 (its short form is part of make test; docs/testing.md, "The faults drill")
#   make coverage run every test against a gcov build and the counting Lua library, print
#                 line and branch coverage per file (build/coverage/, docs/testing.md)
#   make asan     build the modules with ASan+UBSan into build/asan/modules (never build/modules)
#   make check-asan   the whole integration suite on that build (docs/testing.md, "Sanitizers")
# KAMAILIO_SRC=/path builds against another (configured) Kamailio tree.

CACHE ?= $(CURDIR)/.cache
BUILD ?= $(CURDIR)/build
MODULES := $(patsubst modules/%/Makefile,%,$(wildcard modules/*/Makefile))
# the worked example of docs/integrator.md, built and tested like a module
EXAMPLES := docs/examples/omniq_echo
# modules that exist only for the tests (fixtures), built the same way
FIXTURES := tests/modules/omniq_badhook tests/modules/omniq_faults tests/modules/omniq_testsender

.PHONY: all deps deps-test modules fixtures prompts run test unit bench chaos clean asan check-asan image test-image
all: modules

deps:
	@scripts/deps.sh build

deps-test:
	@scripts/deps.sh test

modules: deps
	@set -e; src=$$(scripts/kamailio-src.sh $(CACHE)); mkdir -p $(BUILD)/modules; \
	srtp=$$(scripts/libsrtp.sh openssl $(CACHE)); \
	for m in $(MODULES); do \
	  $(MAKE) --no-print-directory -C modules/$$m COREPATH=$$src/src SRTP_PREFIX=$$srtp quiet=silent; \
	  cp --remove-destination modules/$$m/$$m.so $(BUILD)/modules/; \
	done; \
	for e in $(EXAMPLES); do \
	  $(MAKE) --no-print-directory -C $$e COREPATH=$$src/src OMNIQ_INCLUDE=$(CURDIR)/include quiet=silent; \
	  cp $$e/$$(basename $$e).so $(BUILD)/modules/; \
	done; echo "built: $(MODULES) $(notdir $(EXAMPLES)) -> $(BUILD)/modules"; \
	$(MAKE) --no-print-directory -C engine; mkdir -p $(BUILD)/engine; \
	cp --remove-destination engine/omniq_engine.so $(BUILD)/engine/; echo "built: omniq_engine -> $(BUILD)/engine"; \
	$(MAKE) --no-print-directory -C tools/omniq_deliver; mkdir -p $(BUILD)/bin; \
	cp --remove-destination tools/omniq_deliver/omniq-deliver $(BUILD)/bin/; echo "built: omniq-deliver -> $(BUILD)/bin"

# the test fixtures go to a directory of their own: never next to the modules admins load
fixtures: modules
	@set -e; src=$$(scripts/kamailio-src.sh $(CACHE)); mkdir -p $(BUILD)/test-modules; \
	for e in $(FIXTURES); do \
	  $(MAKE) --no-print-directory -C $$e COREPATH=$$src/src OMNIQ_INCLUDE=$(CURDIR)/include quiet=silent; \
	  cp $$e/$$(basename $$e).so $(BUILD)/test-modules/; \
	done; \
	$(MAKE) --no-print-directory -C tests/modules/omniq_faults/preload; \
	$(MAKE) --no-print-directory -C engine omniq_engine_faults.so; \
	cp --remove-destination engine/omniq_engine_faults.so $(BUILD)/test-modules/; \
	cp tests/modules/omniq_faults/preload/libomniq_failmalloc.so $(BUILD)/test-modules/
	@$(MAKE) --no-print-directory -C tests/tools/rtpfar OUT=$(BUILD)/test-tools

prompts: deps
	@scripts/prompts.sh $(BUILD)/prompts

run: modules prompts
	@scripts/run.sh

unit:
	@$(MAKE) --no-print-directory -C tests/unit check BUILD=$(BUILD)/unit

test: deps-test
	@$(MAKE) --no-print-directory fixtures asan prompts
	@tests/run.sh

# the sanitizer build: its own copy of the sources and its own directory (scripts/asan.sh)
asan: deps
	@scripts/asan.sh build

check-asan: deps-test
	@$(MAKE) --no-print-directory fixtures asan
	@scripts/asan.sh run

chaos: deps-test
	@$(MAKE) --no-print-directory fixtures
	@OMNIQ_TOP=$(CURDIR) OMNIQ_BUILD=$(BUILD) /usr/bin/python3 tests/integration/chaos.py

bench: modules
	@scripts/deps.sh bench
	@bench/run.sh

# the container image (scripts/image.sh; docs/admin.md, "The container image"): not part of
# make test (a build of its own, minutes); .ci/run runs test-image after make test
image:
	@scripts/image.sh build

test-image: deps-test
	@scripts/image.sh test

# not part of make test: a build of its own, -O0, and every test again (docs/testing.md)
.PHONY: coverage
coverage:
	@scripts/deps.sh coverage
	@$(MAKE) --no-print-directory fixtures
	@BUILD=$(BUILD) scripts/coverage.sh

# the client libraries' generated parts (clients/, scripts/gen_clients.py) from docs/openapi.yaml;
# committed, and a test fails while they differ from what this writes
.PHONY: clients
clients:
	@/usr/bin/python3 scripts/gen_clients.py

clean:
	rm -rf $(BUILD)
	@$(MAKE) --no-print-directory -C engine clean
	@$(MAKE) --no-print-directory -C tools/omniq_deliver clean
	@for m in $(addprefix modules/,$(MODULES)) $(EXAMPLES) $(FIXTURES); do rm -f $$m/*.o $$m/*.d $$m/*.so $$m/oq_lualib.c $$m/oq_limits.h $$m/oq_archive_sql.h; done
	@$(MAKE) --no-print-directory -C tests/modules/omniq_faults/preload clean
