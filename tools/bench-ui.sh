#!/usr/bin/env bash
# The page's performance budgets, measured in headless Chromium against the release build:
# navigation to interactive, animation frame times with 200 requests in flight, and one
# step forward/back with 100,000 records, and opening a 100,000-entry workspace. Prints JSON
# figures (see docs/BENCHMARKS.md).
set -euo pipefail
cd "$(dirname "$0")/.."
source tools/env.sh
tools/setup.sh --tests
trunk_release build >/dev/null
port=8096
python3 -m http.server "$port" --bind 127.0.0.1 --directory dist >/dev/null 2>&1 &
server=$!
trap 'kill $server' EXIT
sleep 1
NODE_PATH=tests/e2e/node_modules node tests/e2e/bench/ui-budgets.js "http://127.0.0.1:$port/"
# Importing and reopening a 100,000-entry workspace (ENTRIES=N for another size).
NODE_PATH=tests/e2e/node_modules node tests/e2e/bench/restore.js "http://127.0.0.1:$port/"
