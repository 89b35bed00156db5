#!/usr/bin/env bash
# Installs what is missing, builds the release page and serves it on http://127.0.0.1:8080
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
source tools/env.sh
trunk_release serve
