#!/bin/sh
# NAME
#	shard-parallel.sh - one big machine: N shards of a scan with GNU parallel, then merge
#
# SYNOPSIS
#	shard-parallel.sh N OUT_DIR [--] [SMTP-AUDIT OPTIONS] TARGET...
#
# DESCRIPTION
#	The one-liner this wraps, for N = 8:
#
#	  parallel -j8 smtp-audit -o json --out 'shard{}.json' --shard {}/8 -f hosts ::: $(seq 0 7) &&
#	      smtp-audit merge --out all.json shard*.json
#
#	Runs "smtp-audit --shard I/N" for I = 0 .. N-1 at once, each with
#	-o json --out OUT_DIR/shard-I-of-N.json and --resume
#	OUT_DIR/shard-I-of-N.state (so running the script again after an
#	interruption scans only what is left), then joins the shards with
#	"smtp-audit merge" into OUT_DIR/merged.json. Each shard is one process
#	with its own --concurrency: divide the machine's budget by N.
#
#	A shard that exits 0 (nothing at --fail-on), 1 (findings) or 3 (none
#	of its targets answered) succeeded; any other status (2 usage error,
#	4 interrupted, a signal) fails the run before merging. The job log is
#	OUT_DIR/joblog.
#
# ENVIRONMENT
#	SMTP_AUDIT   the scanner (default: smtp-audit from PATH)
#
# EXIT STATUS
#	0 merged, 1 a shard failed (see the job log and its state), 2 usage error.
set -u

usage() {
	echo "usage: $0 N OUT_DIR [--] [SMTP-AUDIT OPTIONS] TARGET..." >&2
	exit 2
}

[ $# -ge 3 ] || usage
count=$1
out_dir=$2
shift 2
[ "${1-}" = "--" ] && shift
case $count in
'' | *[!0-9]* | 0) usage ;;
esac
command -v parallel >/dev/null 2>&1 || {
	echo "$0: GNU parallel is not installed (apt-get install parallel)" >&2
	exit 2
}
scanner=${SMTP_AUDIT:-smtp-audit}
mkdir -p "$out_dir" || exit 2

# --halt never: every shard runs to its end, and the job log says how each ended.
parallel --will-cite --halt never -j "$count" --joblog "$out_dir/joblog" \
	"$scanner" -o json --out "$out_dir/shard-{}-of-$count.json" \
	--resume "$out_dir/shard-{}-of-$count.state" --shard "{}/$count" "$@" \
	::: $(seq 0 $((count - 1)))

# Column 7 of the job log is the exit status, column 8 the signal.
failed=$(awk 'NR > 1 && ($8 != 0 || ($7 != 0 && $7 != 1 && $7 != 3))' "$out_dir/joblog")
if [ -n "$failed" ] || [ "$(awk 'NR > 1' "$out_dir/joblog" | wc -l)" -ne "$count" ]; then
	echo "$0: a shard failed; run again to resume it:" >&2
	echo "$failed" >&2
	exit 1
fi

inputs=$(seq 0 $((count - 1)) | sed "s|.*|$out_dir/shard-&-of-$count.json|")
# shellcheck disable=SC2086 # one report per shard, paths without blanks from mkdir above
"$scanner" merge --out "$out_dir/merged.json" $inputs || exit 1
echo "$out_dir/merged.json"
