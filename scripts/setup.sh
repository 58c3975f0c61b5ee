# Shared set-up for the demo, tests and benchmarks: installs the workspace
# from the lockfile with the pinned pnpm (needs only Node 20 and npm).
# Sourced, not executed.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PNPM_VERSION="12.4.2"
pnpm() { npx -y "pnpm@${PNPM_VERSION}" "$@"; }

ensure_node() {
  local major
  major="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
  if [ "$major" -lt 20 ]; then
    echo "ferry needs Node.js 20 or newer (found: $(node --version 2>/dev/null || echo none))" >&2
    exit 1
  fi
}

install_workspace() {
  ensure_node
  (cd "$ROOT" && pnpm install --frozen-lockfile --reporter=silent)
}
