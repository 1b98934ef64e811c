#!/bin/sh
# Starts Parley (`npm start`, the Docker image): `sh server/start.sh [script]`, from the
# project's directory; the script defaults to server/main.ts (the benchmark starts the
# servers it compares through here too, so they all run on the same allocator).
#
# The allocator: under the soak's load (2,000 connections) the server's memory outside the
# JavaScript heap was about 80 MB smaller with jemalloc than with glibc's malloc at the same
# point of the run (docs/reliability.md, "Soak"). So jemalloc is preloaded when the machine
# has it (Debian and Ubuntu: apt-get install libjemalloc2), unless PARLEY_MALLOC=system or
# LD_PRELOAD is already set. Parley logs which allocator it runs on.
#
# NODE names the node binary (default: node on the PATH); NODE_FLAGS adds flags before the
# script (e.g. --cpu-prof).
if [ "${PARLEY_MALLOC:-jemalloc}" = jemalloc ] && [ -z "${LD_PRELOAD:-}" ]; then
  for lib in /usr/lib/x86_64-linux-gnu/libjemalloc.so.2 /usr/lib/aarch64-linux-gnu/libjemalloc.so.2 \
    /usr/lib64/libjemalloc.so.2 /usr/lib/libjemalloc.so.2 /usr/local/lib/libjemalloc.so.2; do
    if [ -r "$lib" ]; then
      export LD_PRELOAD="$lib"
      break
    fi
  done
fi
# NODE_FLAGS is split into words on purpose: it holds several flags.
# shellcheck disable=SC2086
exec "${NODE:-node}" ${NODE_FLAGS:-} --import tsx "${1:-server/main.ts}"
