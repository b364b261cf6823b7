# cfrec: the PostgreSQL extension, built with PGXS.
#   make && make install && make installcheck
# The C++ core is also built alone by CMakeLists.txt for its unit tests.

EXTENSION = cfrec
# The version lives in one place, cfrec.control.
EXTVERSION = $(shell sed -n "s/^default_version = '\\(.*\\)'/\\1/p" $(EXTENSION).control)
MODULE_big = cfrec

CORE_OBJS = $(patsubst %.cpp,%.o,$(wildcard src/core/*.cpp))
GLUE_OBJS = $(patsubst %.cpp,%.o,$(wildcard src/pg/*.cpp))
OBJS = $(CORE_OBJS) $(GLUE_OBJS)

# src/sql/cfrec.sql is the current version's script, installed as
# cfrec--$(EXTVERSION).sql; src/sql/ also holds the first release's frozen
# script and one upgrade step per release (cfrec--A--B.sql), all installed, so
# any version can be created (CREATE EXTENSION ... VERSION) or updated from.
DATA_built = $(EXTENSION)--$(EXTVERSION).sql
DATA = $(wildcard src/sql/$(EXTENSION)--*.sql)

# pg_regress: every file in sql/ must be listed in the schedule (checked by
# scripts/check-schedule), so a new test cannot be forgotten.
REGRESS = --schedule=test/schedule
REGRESS_OPTS = --inputdir=. --load-extension=$(EXTENSION)

# WERROR=-Werror (set by scripts/test) turns warnings into errors.
# CPU-specific code by default, as pgvector does; OPTFLAGS= for a portable build.
OPTFLAGS ?= -march=native
# Matrices start on a cache line whatever the CPU flags: the run-time chosen
# AVX-512 kernels read factor rows with 64-byte loads, which a package's
# default 16-byte alignment would split across two lines.
PG_CPPFLAGS = -Isrc -isystem /usr/include/eigen3 -DEIGEN_MAX_ALIGN_BYTES=64
PG_CXXFLAGS = -std=c++17 -O3 $(OPTFLAGS) -fPIC $(WERROR) -Wall -Wextra -Wno-maybe-uninitialized \
	-Wno-unused-parameter -Wno-missing-field-initializers -Wno-register
SHLIB_LINK = -lstdc++ -lpthread

# No LLVM bitcode for JIT inlining: it would need clang++ and buys nothing here.
override with_llvm = no

EXTRA_CLEAN = $(DATA_built)

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

$(EXTENSION)--$(EXTVERSION).sql: src/sql/$(EXTENSION).sql
	cp $< $@

$(OBJS): $(wildcard src/core/*.h src/core/*.inc src/pg/*.h)
