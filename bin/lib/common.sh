# Shared by the scripts in bin/: paths, caches and the installers they need.
# Sourced, not run.

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CACHE_DIR=${IMAGE_SERVICE_CACHE:-$HOME/.cache/image-service}
# One build shared by every step and every clone: the target dir lives outside the clone.
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$CACHE_DIR/target}
export IMAGE_SERVICE_VENV=${IMAGE_SERVICE_VENV:-$CACHE_DIR/venv}
mkdir -p "$CACHE_DIR"

log() { printf '\033[1;34m==>\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31merror:\033[0m %s\n' "$*" >&2; exit 1; }

_apt_updated=
# ensure_apt CMD PACKAGE: installs PACKAGE from Debian when CMD is not on the PATH.
ensure_apt() {
  local cmd=$1 pkg=$2
  command -v "$cmd" >/dev/null 2>&1 && return 0
  command -v apt-get >/dev/null 2>&1 || die "'$cmd' is missing and apt-get is not available: install $pkg"
  local sudo=
  [ "$(id -u)" = 0 ] || sudo=sudo
  if [ -z "$_apt_updated" ]; then
    log "apt-get update"
    $sudo apt-get update -qq >/dev/null
    _apt_updated=1
  fi
  log "installing $pkg"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$pkg" >/dev/null
}

# Native build tools the codecs need (libjpeg-turbo is built with cmake, its SIMD and
# rav1e's assembly with nasm).
ensure_build_tools() {
  ensure_apt cmake cmake
  ensure_apt nasm nasm
}

# ensure_venv PIP_SPEC...: a Python venv with these packages, created once.
ensure_venv() {
  if [ ! -x "$IMAGE_SERVICE_VENV/bin/python" ]; then
    log "creating Python venv at $IMAGE_SERVICE_VENV"
    python3 -m venv "$IMAGE_SERVICE_VENV"
    "$IMAGE_SERVICE_VENV/bin/pip" install -q --upgrade pip >/dev/null
  fi
  local missing=()
  local spec
  for spec in "$@"; do
    "$IMAGE_SERVICE_VENV/bin/pip" show -q "${spec%%[=<>\[]*}" >/dev/null 2>&1 || missing+=("$spec")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    log "pip install ${missing[*]}"
    "$IMAGE_SERVICE_VENV/bin/pip" install -q "${missing[@]}"
  fi
}

# A free TCP port on loopback.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# wait_for_http URL SECONDS: polls until the URL answers.
wait_for_http() {
  local url=$1 secs=${2:-30} i
  for ((i = 0; i < secs * 10; i++)); do
    if python3 - "$url" <<'PY' 2>/dev/null; then return 0; fi
import sys, urllib.request, urllib.error
try:
    urllib.request.urlopen(sys.argv[1], timeout=1)
except urllib.error.HTTPError:
    pass
PY
    sleep 0.1
  done
  return 1
}

# Builds everything exactly as `cargo test --workspace` does (same feature set), so the
# binaries the scripts start reuse that build instead of compiling a second variant.
build_workspace() {
  log "cargo test --workspace --no-run (builds the binaries too)"
  cargo test --workspace --no-run --quiet
}
