# Sourced by the other scripts: the tool paths the build and the tests use.
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export PATH="$root/tools/node_modules/.bin:$HOME/.cargo/bin:$PATH"
# Trunk's update check calls a host that is not reachable here.
export TRUNK_SKIP_VERSION_CHECK=true
export CHROMEDRIVER=${CHROMEDRIVER:-/usr/bin/chromedriver}
export CHROMIUM=${CHROMIUM:-/usr/bin/chromium}

# The release page, smaller: cargo rebuilds the standard library with the page's own size
# settings (build-std) and compiles every panic to an immediate abort, so no panic message
# or its formatting code is shipped. Both are unstable cargo/rustc features; RUSTC_BOOTSTRAP
# lets the stable toolchain use them, for this build only (tests keep ordinary panics).
# They need the rust-src component (tools/setup.sh adds it); without it the page is built
# the ordinary way, about 30 KB larger gzipped, and works the same.
trunk_release() { # build | serve, then trunk's own options
  if [ -d "$(rustc --print sysroot)/lib/rustlib/src/rust/library/std" ]; then
    RUSTC_BOOTSTRAP=1 CARGO_UNSTABLE_BUILD_STD=std,panic_abort \
      RUSTFLAGS="-Zunstable-options -Cpanic=immediate-abort" trunk "$@" --release
  else
    echo "trunk_release: no rust-src component, building without build-std" >&2
    trunk "$@" --release
  fi
}
