#!/usr/bin/env bash
# The whole dev -> staging -> prod story on examples/data-platform, locally.
#   npm run demo            (or: bash scripts/demo.sh [workdir])
source "$(dirname "$0")/setup.sh"

step=0
say() { step=$((step + 1)); printf '\n\033[1m── %d. %s\033[0m\n' "$step" "$*"; }
note() { printf '\033[2m   %s\033[0m\n' "$*"; }
run() { printf '\033[36m$ %s\033[0m\n' "$*"; "$@"; }

echo "Setting up (pnpm install from the lockfile, bundling the ferry CLI)…"
install_workspace
node "$ROOT/scripts/build.mjs" --only cli >/dev/null
ferry() { node "$ROOT/packages/cli/dist/index.js" "$@"; }

WORK="${1:-$(mktemp -d /tmp/ferry-demo-XXXXXX)}"
mkdir -p "$WORK"
cp -r "$ROOT/examples/data-platform/." "$WORK/"
cd "$WORK"
git -c init.defaultBranch=main init -q
git -c user.name=demo -c user.email=demo@example.com add -A
git -c user.name=demo -c user.email=demo@example.com commit -qm "data platform v1"
# Deploy-time secrets that config/pipelines.yml references as ${secret:NAME}.
# In GitHub Actions they come from `secrets`; here, made-up values.
export WAREHOUSE_PASSWORD="demo-warehouse-pw" APP_DB_PASSWORD="demo-app-pw" ORDERS_API_TOKEN="demo-orders-token" CRM_API_TOKEN="demo-crm-token"

printf '\n\033[1mferry demo\033[0m — project copied to %s (a fresh git repository).\n' "$WORK"
note "Environments dev, staging and prod are local folders under .ferry/targets/; prod requires staging."

say "Check ferry.yml, the DAG folder and the configs (schemas, no secrets in clear)"
run ferry check

say "Build one immutable release: every file hashed, id = sha256 of the content"
run ferry build
RELEASE="$(ferry build --json 2>/dev/null | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).id.slice(0, 12)))')"
note "Building again gives the same id: same content, same release. Below it is referred to by its first 12 characters."

say "Plan dev: what would change (nothing is written)"
run ferry plan dev --release "$RELEASE"

say "Deploy to dev, then staging — the same release, built once"
run ferry deploy dev --release "$RELEASE"
run ferry deploy staging --release "$RELEASE"

say "Try prod before staging is verified: refused by the promotion rule"
if ferry deploy prod --release "$RELEASE"; then echo "unexpected: prod accepted an unverified release" >&2; exit 1; fi
note "Nothing was deployed to prod and nothing was recorded."

say "Gates: a smoke check for staging and a release freeze on prod (added to ferry.yml)"
python3 - "$(date -u -d '-1 hour' +%Y-%m-%dT%H:%M:%SZ)" "$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ)" <<'PY'
import sys
text = open('ferry.yml').read()
smoke = """  - name: staging
    smoke:
      command:
        - name: deployed DAGs parse
          run: [python3, -c, "import ast, pathlib; [ast.parse(p.read_text(), str(p)) for p in pathlib.Path('.ferry/targets/staging/dags').rglob('*.py')]"]
"""
text = text.replace("  - name: staging\n", smoke, 1)
text = text.rstrip("\n") + f"""
    freeze:
      - name: quarter-end freeze
        from: "{sys.argv[1]}"
        to: "{sys.argv[2]}"
"""
open('ferry.yml', 'w').write(text)
PY
git -c user.name=demo -c user.email=demo@example.com commit -qam "gates: smoke check on staging, freeze on prod"
sed -n '/name: staging/,/name: prod/p' ferry.yml | sed -n '1,6p' | sed 's/^/   /'
tail -4 ferry.yml | sed 's/^/   /'

say "Verify staging: the targets hold exactly the release's files, and the smoke check passes"
run ferry verify staging

say "prod is frozen: the deploy is refused, naming the window and when it ends"
if ferry deploy prod --release "$RELEASE"; then echo "unexpected: prod accepted a deploy during a freeze" >&2; exit 1; fi

say "Promote the verified release to prod: a freeze override needs a reason and an approver, both recorded"
run ferry deploy prod --release "$RELEASE" --override-freeze "quarter-end numbers need the orders fix" --approved-by alice

say "A change to one DAG: plan and deploy it to dev"
sed -i "s/\"retries\": 3/\"retries\": 4/" dags/ingest_orders_api.py
printf '\n# Nightly re-sync of late orders.\n' >> dags/ingest_orders_api.py
git -c user.name=demo -c user.email=demo@example.com commit -qam "ingest_orders_api: one more retry"
run ferry deploy dev
note "Only the changed file was written; the rest were hard-linked from the live tree."

say "Roll dev back to the previous release (instant: the old tree is still on disk)"
run ferry rollback dev

say "Where everything stands"
run ferry status
run ferry history dev
run ferry history prod
printf '\n   dev/dags is a symlink swapped atomically on every deploy:\n'
ls -l .ferry/targets/dev/ | sed -n '2,$p' | sed 's/^/   /'
printf '\n\033[1mDone.\033[0m Explore %s (ledger: .ferry/ledger.json, releases: .ferry/releases/).\n' "$WORK"
