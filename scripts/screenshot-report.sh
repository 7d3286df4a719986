#!/usr/bin/env bash
# Renders a run folder's report.html in headless Chromium and saves a screenshot, failing when the page logs console
# or JavaScript errors, tries to load anything, or the screenshot is missing or empty.
#   scripts/screenshot-report.sh RUN_DIR OUT.png
# Installs nothing: needs /usr/bin/chromium (Debian: apt-get install -y chromium).
set -euo pipefail

if [[ $# -ne 2 ]]; then
    echo "usage: $0 RUN_DIR OUT.png" >&2
    exit 2
fi
run_dir=$1
out=$2
chromium=${CHROMIUM:-/usr/bin/chromium}

if [[ ! -x $chromium ]]; then
    echo "screenshot-report: $chromium not found; install it with: apt-get install -y chromium" >&2
    exit 2
fi
report=$(realpath "$run_dir")/report.html
if [[ ! -f $report ]]; then
    echo "screenshot-report: $report not found; write it first (dps report $run_dir)." >&2
    exit 2
fi
out=$(realpath -m "$out")
mkdir -p "$(dirname "$out")"
rm -f "$out"

profile=$(mktemp -d)
log=$(mktemp)
trap 'rm -rf "$profile" "$log"' EXIT

status=0
timeout 120 "$chromium" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync --disable-default-apps \
    --hide-scrollbars --user-data-dir="$profile" --enable-logging=stderr --v=0 \
    --screenshot="$out" --window-size=1400,2400 "file://$report" >"$log" 2>&1 || status=$?

# Console messages (any: the page's chart script logs nothing), uncaught exceptions, and failed loads (the page must load nothing).
errors=$(grep -E 'CONSOLE|Uncaught|net::ERR_|Failed to load resource' "$log" || true)
if [[ $status -ne 0 ]]; then
    echo "screenshot-report: chromium exited with status $status; its log:" >&2
    cat "$log" >&2
    exit 1
fi
if [[ -n $errors ]]; then
    echo "screenshot-report: the page logged errors:" >&2
    echo "$errors" >&2
    exit 1
fi
if [[ ! -s $out ]]; then
    echo "screenshot-report: no screenshot written to $out; chromium's log:" >&2
    cat "$log" >&2
    exit 1
fi
echo "screenshot-report: wrote $out ($(stat -c %s "$out") bytes)"
