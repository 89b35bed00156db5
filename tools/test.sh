#!/usr/bin/env bash
# Runs every test: native (cargo test), browser (wasm-bindgen-test in headless Chromium),
# end-to-end (the release page served locally, driven by Playwright in Chromium).
# Ends with one line: "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh --tests || { echo "setup failed"; echo "0 passed, 1 failed"; exit 1; }
source tools/env.sh
root=$(pwd)
logs=target/test-logs
mkdir -p "$logs"
passed=0
failed=0
problems=()

# Adds up cargo's "test result: ... N passed; M failed" lines of a log.
count_cargo() { # log
  grep -E '^test result:' "$1" | sed -E 's/.* ([0-9]+) passed; ([0-9]+) failed.*/\1 \2/' |
    awk '{p += $1; f += $2} END {print p + 0, f + 0}'
}

section() { printf '\n=== %s ===\n' "$*"; }

section "native tests (cargo test)"
cargo test 2>&1 | tee "$logs/native.log"
native_status=${PIPESTATUS[0]}
read -r p f < <(count_cargo "$logs/native.log")
passed=$((passed + p)); failed=$((failed + f))
native_summary="native: $p passed, $f failed"
if [ "$native_status" -ne 0 ] && [ "$f" -eq 0 ]; then failed=$((failed + 1)); problems+=("native tests did not build or run"); fi

section "browser tests (wasm-bindgen-test, headless Chromium)"
cargo test --target wasm32-unknown-unknown --test browser 2>&1 | tee "$logs/browser.log"
browser_status=${PIPESTATUS[0]}
read -r p f < <(count_cargo "$logs/browser.log")
passed=$((passed + p)); failed=$((failed + f))
browser_summary="browser: $p passed, $f failed"
if [ "$browser_status" -ne 0 ] && [ "$f" -eq 0 ]; then failed=$((failed + 1)); problems+=("browser tests did not build or run"); fi

section "end-to-end tests (release build, Playwright, Chromium)"
e2e_summary="end-to-end: not run"
if trunk_release build 2>&1 | tee "$logs/trunk.log"; then
  port=8093
  python3 -m http.server "$port" --bind 127.0.0.1 --directory dist >"$logs/http.log" 2>&1 &
  server=$!
  trap 'kill $server 2>/dev/null' EXIT
  # Wait for the server (python rather than curl: one tool fewer to install).
  python3 - "$port" <<'PY'
import sys, time, urllib.request
for _ in range(100):
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/")
        break
    except Exception:
        time.sleep(0.1)
PY
  rm -f "$logs/e2e.json"
  (cd tests/e2e && BASE_URL="http://127.0.0.1:$port" E2E_JSON="$root/$logs/e2e.json" npx playwright test)
  e2e_status=$?
  # Playwright's own closing line is "N passed (Xs)"; read its JSON report for the counts.
  node -e '
    const fs = require("fs");
    let s = {};
    try { s = JSON.parse(fs.readFileSync(process.argv[1], "utf8")).stats || {}; } catch (e) {}
    console.log((s.expected || 0) + " " + ((s.unexpected || 0) + (s.flaky || 0)));
  ' "$logs/e2e.json" > "$logs/e2e.counts"
  read -r p f < "$logs/e2e.counts"
  passed=$((passed + p)); failed=$((failed + f))
  e2e_summary="end-to-end: $p passed, $f failed"
  if [ "$e2e_status" -ne 0 ] && [ "$f" -eq 0 ]; then failed=$((failed + 1)); problems+=("end-to-end tests did not run"); fi
else
  failed=$((failed + 1)); problems+=("the release build (trunk build --release) failed")
fi

section "summary"
echo "$native_summary"
echo "$browser_summary"
echo "$e2e_summary"
for problem in "${problems[@]}"; do echo "problem: $problem"; done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
