#!/usr/bin/env bash
# Nightly retraining, for cron: runs the default pipeline (train, evaluate, publish with the
# quality gate) and keeps the newest 10 versions. Exit codes are the pipeline's: 0 published,
# 3 the gate refused (production unchanged), 4 another run was still going, 1/2 failures.
#
#   # crontab -e: every night at 02:30, logs appended
#   30 2 * * * cd /srv/projector && Scripts/nightly.sh >> /var/log/projector-nightly.log 2>&1
set -uo pipefail
cd "$(dirname "$0")/.."
export MOVIELENS_DIR="${MOVIELENS_DIR:-$PWD/Data/movielens}"
manifest="${1:-Pipelines/movielens-1m.yaml}"
bin=$(swift build -c release --show-bin-path 2>/dev/null)
[ -x "$bin/pipeline" ] || { swift build -c release >&2 || exit 1; }
"$bin/pipeline" run "$manifest" --wait
status=$?
case $status in
  0) name=$(sed -n 's/^  name: //p' "$manifest" | tail -1)
     [ -n "$name" ] && "$bin/store" gc "$name" --keep 10 ;;
  3) echo "nightly: quality gate refused the new model; production unchanged" >&2 ;;
esac
exit $status
