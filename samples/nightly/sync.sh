#!/bin/sh
# sync.sh: fetch the night's customer export, then run custimport on it.
#
#   30 2 * * * custimport /usr/local/bin/custimport-sync.sh >>/var/log/custimport/sync.log 2>&1
#
# Settings come from /etc/custimport/env (or $SYNC_ENV): the CUSTIMPORT_* credentials,
# and SYNC_EXPORT_URL / SYNC_INPUT (see env.example). The exit status is custimport's:
# 0 all rows done, 1 some rows failed, 2 nothing attempted, 3 stopped early.
set -eu

env_file=${SYNC_ENV:-/etc/custimport/env}
if [ -r "$env_file" ]; then
	set -a
	. "$env_file"
	set +a
fi
input=${SYNC_INPUT:-/var/lib/custimport/customers.csv}
dir=$(dirname "$input")

if [ -n "${SYNC_EXPORT_URL:-}" ]; then
	# Download beside the input and rename, so a failed download never leaves half a
	# file to import.
	tmp=$(mktemp "$dir/.export.XXXXXX")
	trap 'rm -f "$tmp"' EXIT
	if ! curl -fsS --retry 3 --max-time 600 -o "$tmp" "$SYNC_EXPORT_URL"; then
		echo "sync.sh: cannot fetch the export from $SYNC_EXPORT_URL" >&2
		exit 2
	fi
	mv "$tmp" "$input"
fi
if [ ! -s "$input" ]; then
	echo "sync.sh: no export at $input" >&2
	exit 2
fi

set +e
custimport run --log-format json --progress never --summary-json "$dir/summary.json" "$input"
status=$?
set -e
echo "sync.sh: $(date -u +%Y-%m-%dT%H:%M:%SZ) custimport exited $status" >&2
exit "$status"
