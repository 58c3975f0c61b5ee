#!/usr/bin/env bash
# Every test: type-check, then jest (unit, conformance, contract tests that run
# the committed action bundles, bad-input corpus, dist freshness).
#   npm test            (extra arguments go to jest: npm test -- packages/core)
source "$(dirname "$0")/setup.sh"
install_workspace
cd "$ROOT"
# Tests commit to throw-away repositories: give git an identity where the machine has none.
export GIT_AUTHOR_NAME="${GIT_AUTHOR_NAME:-ferry tests}" GIT_AUTHOR_EMAIL="${GIT_AUTHOR_EMAIL:-tests@ferry.invalid}"
export GIT_COMMITTER_NAME="${GIT_COMMITTER_NAME:-ferry tests}" GIT_COMMITTER_EMAIL="${GIT_COMMITTER_EMAIL:-tests@ferry.invalid}"
echo "type-check…"
node node_modules/typescript/bin/tsc -p tsconfig.json
echo "jest…"
node --experimental-vm-modules --disable-warning=ExperimentalWarning node_modules/jest/bin/jest.js --maxWorkers=2 ${CI:+--ci} "$@"
