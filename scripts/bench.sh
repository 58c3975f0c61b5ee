#!/usr/bin/env bash
# pnpm bench: performance figures (never pass/fail on timings).
# Uses only what `pnpm install` installed, plus these system tools.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=0
need() { # need <command> <debian package>
  if ! command -v "$1" >/dev/null 2>&1; then
    echo "bench: '$1' is not installed; it is the baseline (or needed) for these figures. Install it with: apt-get install $2" >&2
    missing=1
  fi
}
need git git
need rsync rsync
need sha256sum coreutils
need xargs findutils
[ "$missing" = 0 ] || exit 1
command -v strace >/dev/null 2>&1 || echo "bench: strace not installed: the syscall-level write count is skipped (apt-get install strace to include it)" >&2

if [ ! -e node_modules/tsx ]; then
  echo "bench: node_modules/tsx is missing; run 'pnpm install' first" >&2
  exit 1
fi

node --import tsx test/bench/dag-deploy.bench.ts "$@"
node --import tsx test/bench/dag-integrity.bench.ts
node --import tsx test/bench/dbt-plan.bench.ts
if command -v aws >/dev/null 2>&1; then node --import tsx test/bench/s3-deploy.bench.ts; else echo "bench: aws (awscli) is not installed: the S3 deploy comparison (test/bench/s3-deploy.bench.ts) is skipped; apt-get install awscli to include it" >&2; fi
