#!/usr/bin/env bash
# Renders a sample run report for viewing by hand: a real run of Octet's engine over the committed
# digits CNN (models/digits-cnn), written as a warehouse with summary.json, artifacts, the run page
# and one page per model. No Spark, no network.
#
#   tools/report/render-sample.sh [OUT_DIR]      # default /tmp/octet-report-sample
#
# Then open the printed file:// URL in a browser (the pages also work copied to a bucket).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
out="${1:-/tmp/octet-report-sample}"
cd "$root"

mvn -q -pl common test-compile
cp_file="$(mktemp)"
trap 'rm -f "$cp_file"' EXIT
mvn -q -pl common dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$cp_file" >/dev/null
rm -rf "$out"
java -cp "common/target/test-classes:common/target/classes:$(cat "$cp_file")" \
  io.octet.report.SampleReport "$out"
