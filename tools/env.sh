# Sourced by the other scripts: the tool paths the build and the tests use.
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export PATH="$root/tools/node_modules/.bin:$HOME/.cargo/bin:$PATH"
# Trunk's update check calls a host that is not reachable here.
export TRUNK_SKIP_VERSION_CHECK=true
export CHROMEDRIVER=${CHROMEDRIVER:-/usr/bin/chromedriver}
export CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
