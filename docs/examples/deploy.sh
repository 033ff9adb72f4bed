#!/bin/sh
# Deploy the model files of one revision: fetch them into a new release directory with
# `git model get`, then switch the `current` symlink to it in one rename. A server reading
# DEPLOY-ROOT/current/... sees the old release or the new one, never a mix or a partial file,
# and nothing is switched unless every file was fetched and verified.
#
#   deploy.sh REPO-URL REV DEPLOY-ROOT PATH...
#
#   DEPLOY-ROOT/releases/<utc time, ns>-<commit>-<id>/   one complete release per deploy (names sort by time)
#   DEPLOY-ROOT/current -> releases/...              the live one
#
# Exit status: 0 when deployed; git model get's status when fetching failed (see
# docs/deploy.md: 2 usage, 4 config, 7 corrupt, 8 missing, 9 disk, 10-13 remote); 1 otherwise.
# Environment: KEEP_RELEASES (default 3) releases are kept; the cache is git model get's
# default unless GIT_MODEL_CACHE names one. Needs git-model, python3 (to read the JSON report)
# and GNU `mv -T` (an atomic rename over the old symlink).
set -eu

if [ $# -lt 4 ]; then
    echo "usage: $0 REPO-URL REV DEPLOY-ROOT PATH..." >&2
    exit 2
fi
repo=$1 rev=$2 root=$3
shift 3
keep=${KEEP_RELEASES:-3}

mkdir -p "$root/releases"
root=$(cd "$root" && pwd -P)
# staging directories of deploys killed more than a day ago
find "$root/releases" -maxdepth 1 -name '.staging-*' -mmin +1440 -exec rm -rf {} + 2>/dev/null || true
stage=$(mktemp -d "$root/releases/.staging-XXXXXX")
report="$stage.json"
trap 'rm -rf "$stage" "$report"' EXIT
trap 'exit 130' INT TERM

# Seed the new release with hard links to the live one: unchanged files then cost no disk and
# no rewrite (get recognises them without reading them), and a changed file is replaced by a
# rename in the new release, so the live release's files are never written into.
if [ -d "$root/current/" ]; then
    cp -al "$root/current/." "$stage/"
fi

set -- git model get "$repo" --rev "$rev" -o "$stage" --json "$@"
if [ -n "${GIT_MODEL_CACHE:-}" ]; then
    set -- "$@" --cache "$GIT_MODEL_CACHE"
fi
status=0
"$@" >"$report" || status=$?
if [ "$status" -ne 0 ]; then
    echo "deploy: git model get failed (exit $status); $root/current is unchanged" >&2
    exit "$status"
fi

# Drop seeded files this revision no longer names; print the commit.
commit=$(python3 - "$report" "$stage" <<'PY'
import json, os, sys
report = json.load(open(sys.argv[1]))
wanted = {os.path.abspath(f["dest"]) for f in report["files"]}
for top, _dirs, names in os.walk(sys.argv[2]):
    for name in names:
        path = os.path.abspath(os.path.join(top, name))
        if path not in wanted:
            os.unlink(path)
print(report["commit"])
PY
)

release="$(date -u +%Y%m%dT%H%M%S.%NZ)-$(printf '%.12s' "$commit")-${stage##*-}"
mv "$stage" "$root/releases/$release"
ln -s "releases/$release" "$root/.current-$$"
mv -T "$root/.current-$$" "$root/current"   # rename(2): atomic for every reader
sync "$root" 2>/dev/null || sync

# keep the newest $keep releases, and always the live one
ls -1 "$root/releases" | sort -r | tail -n +"$((keep + 1))" | while read -r old; do
    if [ "releases/$old" != "$(readlink "$root/current")" ]; then
        rm -rf "${root:?}/releases/$old"
    fi
done
echo "deployed $commit ($rev) to $root/releases/$release"
