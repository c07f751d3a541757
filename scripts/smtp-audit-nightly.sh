#!/bin/sh
# NAME
#	smtp-audit-nightly.sh - scheduled scan that keeps dated reports and alerts on new findings
#
# SYNOPSIS
#	smtp-audit-nightly.sh REPORT_DIR [--] [SMTP-AUDIT OPTIONS] TARGET...
#
# DESCRIPTION
#	Scans with "smtp-audit -o json" into REPORT_DIR/smtp-audit-YYYYMMDDTHHMMSSZ.json
#	(UTC, so names sort by time), comparing with the newest earlier report there
#	(--baseline --fail-on-new). The first run only keeps a report. When the scan
#	finds something new at or above SMTP_AUDIT_FAIL_ON, the comparison
#	("smtp-audit diff") is printed, mailed with mail(1) to SMTP_AUDIT_MAIL_TO when
#	that is set and mail(1) exists, and the script exits 1 so that cron mails its
#	output and a systemd unit fails (OnFailure=). Nothing new: silent, exit 0.
#	Reports older than SMTP_AUDIT_KEEP_DAYS are deleted. Runs never overlap: a
#	second one while the first holds REPORT_DIR/.lock exits 2.
#
# ENVIRONMENT
#	SMTP_AUDIT            the scanner (default: smtp-audit from PATH)
#	SMTP_AUDIT_FAIL_ON    severity that counts (default medium)
#	SMTP_AUDIT_MAIL_TO    address for the alert mail (default: none)
#	SMTP_AUDIT_KEEP_DAYS  days to keep reports (default 90)
#
# EXIT STATUS
#	0 nothing new, 1 new findings, 2 usage or configuration error, 3 no target
#	could be scanned, 4 interrupted (the scanner's own codes otherwise).
set -u

usage() {
	echo "usage: smtp-audit-nightly.sh REPORT_DIR [--] [SMTP-AUDIT OPTIONS] TARGET..." >&2
	exit 2
}

[ $# -ge 2 ] || usage
dir=$1
shift
[ "$1" = "--" ] && shift
[ $# -ge 1 ] || usage

audit=${SMTP_AUDIT:-smtp-audit}
fail_on=${SMTP_AUDIT_FAIL_ON:-medium}
mail_to=${SMTP_AUDIT_MAIL_TO:-}
keep_days=${SMTP_AUDIT_KEEP_DAYS:-90}

mkdir -p -- "$dir" || exit 2
exec 9>"$dir/.lock" || exit 2
if ! flock -n 9; then
	echo "smtp-audit-nightly: another run holds $dir/.lock" >&2
	exit 2
fi

# The newest earlier report: names sort by time.
previous=
for report in "$dir"/smtp-audit-*.json; do
	[ -f "$report" ] && previous=$report
done

now=$(date -u +%Y%m%dT%H%M%SZ)
current="$dir/smtp-audit-$now.json"
if [ -e "$current" ]; then
	echo "smtp-audit-nightly: $current exists already (runs less than a second apart)" >&2
	exit 2
fi

if [ -z "$previous" ]; then
	"$audit" -q -o json --out "$current" --fail-on never "$@"
	status=$?
else
	"$audit" -q -o json --out "$current" --baseline "$previous" --fail-on-new \
		--fail-on "$fail_on" "$@"
	status=$?
fi

find "$dir" -maxdepth 1 -name 'smtp-audit-*.json' -mtime +"$keep_days" -exec rm -f -- {} +

[ "$status" -eq 1 ] || exit "$status"

summary=$("$audit" diff --fail-on "$fail_on" "$previous" "$current")
printf '%s\n' "$summary"
if [ -n "$mail_to" ] && command -v mail >/dev/null 2>&1; then
	printf '%s\n' "$summary" | mail -s "smtp-audit: new findings on $(hostname)" "$mail_to"
fi
exit 1
