# Shared by bin/deploy, bin/diff, bin/destroy and bin/test-cdk. Sourced, not run.
# Self-contained: only bash, Node/npm and Python 3 are assumed.

CDK_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
REPO_ROOT=$(cd "$CDK_DIR/.." && pwd)
export IMAGE_SERVICE_VENV=${IMAGE_SERVICE_VENV:-$REPO_ROOT/.venv}

# Pinned tools from PyPI.
CFN_LINT_VERSION=1.58.0
CHECKOV_VERSION=3.3.30

# The CDK CLI asks nothing and reports nothing.
export CDK_DISABLE_CLI_TELEMETRY=true
export CDK_DISABLE_VERSION_CHECK=true

cdk_log() { printf '\033[1;34m==>\033[0m %s\n' "$*" >&2; }
cdk_die() { printf '\033[1;31merror:\033[0m %s\n' "$*" >&2; exit 1; }

command -v node >/dev/null 2>&1 || cdk_die "node is not installed (Node.js 20 or later is needed)"
command -v npm >/dev/null 2>&1 || cdk_die "npm is not installed"

# npm ci in cdk/ when node_modules is missing or older than package-lock.json.
ensure_node_modules() {
  local stamp="$CDK_DIR/node_modules/.image-service-lock.sha256"
  local want
  want=$(sha256sum "$CDK_DIR/package-lock.json" | cut -d' ' -f1)
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -x "$CDK_DIR/node_modules/.bin/cdk" ]; then
    return 0
  fi
  cdk_log "npm ci (cdk/)"
  (cd "$CDK_DIR" && npm ci --no-audit --no-fund --loglevel=error) || cdk_die "npm ci failed in cdk/"
  echo "$want" >"$stamp"
}

# The project's Python venv, created when missing.
ensure_venv() {
  if [ ! -x "$IMAGE_SERVICE_VENV/bin/python" ]; then
    cdk_log "creating Python venv at $IMAGE_SERVICE_VENV"
    python3 -m venv "$IMAGE_SERVICE_VENV" || cdk_die "python3 -m venv failed (Debian: apt-get install python3-venv)"
  fi
}

# pip_ensure MODULE DIST VERSION: installs DIST==VERSION unless MODULE imports at that version.
pip_ensure() {
  local module=$1 dist=$2 version=$3
  ensure_venv
  if "$IMAGE_SERVICE_VENV/bin/python" - "$module" "$dist" "$version" <<'PY' 2>/dev/null; then return 0; fi
import importlib, importlib.metadata, sys
importlib.import_module(sys.argv[1])
sys.exit(0 if importlib.metadata.version(sys.argv[2]) == sys.argv[3] else 1)
PY
  cdk_log "pip install $dist==$version (into $IMAGE_SERVICE_VENV)"
  "$IMAGE_SERVICE_VENV/bin/pip" install -q --disable-pip-version-check "$dist==$version" || cdk_die "pip install $dist failed"
}

ensure_cfn_lint() {
  pip_ensure cfnlint cfn-lint "$CFN_LINT_VERSION"
}

# checkov scans the synthesized templates offline (--skip-download, see cdk/checkov.yaml).
ensure_checkov() {
  pip_ensure checkov checkov "$CHECKOV_VERSION"
}

# A stage must exist in the settings file; prints the valid ones otherwise.
check_stage() {
  local stage=${1:-}
  local stages
  stages=$(node -e 'console.log(Object.keys(require(process.argv[1]).stages).join(" "))' "$CDK_DIR/config/stages.json") \
    || cdk_die "cannot read cdk/config/stages.json"
  if [ -z "$stage" ]; then
    cdk_die "usage: $(basename "$0") <stage> [extra cdk arguments]   (stages: $stages)"
  fi
  case " $stages " in
    *" $stage "*) ;;
    *) cdk_die "unknown stage '$stage' (stages in cdk/config/stages.json: $stages)" ;;
  esac
}

# A placeholder package for commands that need no real code (destroy, offline synth).
placeholder_lambda() {
  local dir
  dir=$(mktemp -d "${TMPDIR:-/tmp}/image-service-placeholder.XXXXXX")
  printf '#!/bin/sh\necho "placeholder: build with bin/deploy" >&2\nexit 1\n' >"$dir/bootstrap"
  chmod 755 "$dir/bootstrap"
  printf '%s\n' "$dir"
}

cdk_cli() {
  (cd "$CDK_DIR" && ./node_modules/.bin/cdk "$@")
}
