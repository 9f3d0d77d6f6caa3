# The gcov build of a module, for make coverage only (scripts/coverage.sh): included by each
# module's Makefile when OMNIQ_COVERAGE_MK names this file, in the copy of the sources that
# scripts/coverage.sh builds under build/coverage (never in modules/, whose objects make
# builds the modules admins load from).
# -O0: gcov's line and branch counts follow the source only when nothing is merged or moved;
# _FORTIFY_SOURCE (Debian's flags) needs an optimising build, so it goes with it.
# -fprofile-abs-path -fprofile-prefix-map=/=/: the counts name each source and header by its
# real absolute path (the last prefix map wins, and this one maps every path to itself: the
# -ffile-prefix-map of Debian's flags, which kamailio-src.sh's make cfg kept, would leave
# names gcov cannot open).
# -Wno-error: gcc 12 warns falsely on code it instruments (a -Wrestrict in oq_core.c's
# snprintf); the plain build, which keeps -Werror, is the one that judges warnings.
DEFS += -O0 -U_FORTIFY_SOURCE -Wno-error --coverage -fprofile-abs-path -fprofile-prefix-map=/=/
LIBS += --coverage
# omniq's library: the counting copy of lua/*.lua that scripts/coverage.sh made in
# OMNIQ_COVERAGE_LUA (scripts/coverage/lua_instrument.py), its counters' table first
OMNIQ_LUALIB_FLAGS = --lua-dir $(OMNIQ_COVERAGE_LUA)/src --head $(OMNIQ_COVERAGE_LUA)/head.lua
