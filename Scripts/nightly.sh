#!/usr/bin/env bash
# Nightly retraining, for cron. Installed by Scripts/install as PREFIX/bin/projector-nightly; it
# calls the installed binaries beside it and never builds, so it runs under cron's bare
# environment (PATH=/usr/bin:/bin, no swift). It runs the default pipeline (train on the data as
# it is tonight — the MovieLens folder plus any new ratings in its updates/ folder —, evaluate,
# gate against production on the same held-out ratings and the committed floors, publish), then
# keeps the newest versions and run folders. Exit codes are the pipeline's: 0 published (or
# nothing new), 3 the gate refused (production unchanged), 4 another run was still going, 1/2
# failures.
#
#   # crontab -e: every night at 02:30, logs appended
#   30 2 * * * /opt/projector/bin/projector-nightly >> /opt/projector/nightly.log 2>&1
#
# Settings (environment, e.g. lines of the crontab; defaults under the install prefix):
#   MOVIELENS_DIR     the MovieLens folders (default PREFIX/Data/movielens; ml-1m is fetched if missing)
#   PROJECTOR_STORE   the model store (default PREFIX/Artifacts)
#   PROJECTOR_RUNS    run folders and the step cache (default PREFIX/Runs)
#   PROJECTOR_KEEP    versions and run folders kept (default 10; versions an alias names are always kept)
# usage: projector-nightly [MANIFEST]   (default Pipelines/movielens-1m.yaml, relative to PREFIX)
set -uo pipefail
bin=$(cd "$(dirname "$(readlink -f "$0")")" && pwd)
prefix=$(dirname "$bin")
if [ ! -x "$bin/pipeline" ]; then
  echo "nightly: no installed binaries beside $0 (run Scripts/install PREFIX, then call PREFIX/bin/projector-nightly)" >&2
  exit 2
fi
cd "$prefix" || exit 1
export MOVIELENS_DIR="${MOVIELENS_DIR:-$prefix/Data/movielens}"
store="${PROJECTOR_STORE:-$prefix/Artifacts}"
runs="${PROJECTOR_RUNS:-$prefix/Runs}"
keep="${PROJECTOR_KEEP:-10}"
manifest="${1:-Pipelines/movielens-1m.yaml}"
echo "nightly: $(date -u +%Y-%m-%dT%H:%M:%SZ) $("$bin/pipeline" --version | tr '\n' ' ')" >&2
"$bin/pipeline" run "$manifest" --store "$store" --work "$runs" --wait --quiet
status=$?
case $status in
  0) name=$(sed -n 's/^  name: //p' "$manifest" | tail -1)
     [ -n "$name" ] && { "$bin/store" gc "$name" --keep "$keep" --store "$store" || status=1; } ;;
  3) echo "nightly: the quality gate refused the new model; production unchanged" >&2 ;;
esac
if [ "$status" -eq 0 ] || [ "$status" -eq 3 ]; then
  "$bin/pipeline" gc --keep "$keep" --work "$runs" --wait || status=1
fi
exit $status
