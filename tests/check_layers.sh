#!/usr/bin/env bash
# The layering rule (README "Layout"), checked over every #include "..." line:
#   base/        includes only base/
#   model        (reconcile/model*.{c,h}) includes only the model and base/
#   reconcile/   includes only reconcile/ and base/
#   exchanges/   includes only exchanges/, the model and base/
#   exchanges/sim/ (vigil-sim) includes only exchanges/sim/ and base/
#   alerts/      includes only alerts/, the model and base/
#   sql/         includes only sql/, the model, reconcile/journal.h,
#                alerts/outbox.h and base/
#   watchdog/    (the program) may include anything
# Prints every include that breaks the rule and exits 1 if there is one.
set -uo pipefail
cd "$(dirname "$0")/.."

allowed() { # $1 = including file, $2 = included path
	local f=$1 inc=$2
	case "$inc" in base/*) return 0 ;; esac
	local model=0
	case "$inc" in reconcile/model*.h) model=1 ;; esac
	case "$f" in
	base/*) return 1 ;;
	reconcile/model*) [ $model = 1 ] ;;
	reconcile/*) case "$inc" in reconcile/*) return 0 ;; esac; return 1 ;;
	exchanges/sim/*) case "$inc" in exchanges/sim/*) return 0 ;; esac; return 1 ;;
	exchanges/*) [ $model = 1 ] && return 0; case "$inc" in exchanges/*) return 0 ;; esac; return 1 ;;
	alerts/*) [ $model = 1 ] && return 0; case "$inc" in alerts/*) return 0 ;; esac; return 1 ;;
	sql/*)
		[ $model = 1 ] && return 0
		case "$inc" in sql/* | reconcile/journal.h | alerts/outbox.h) return 0 ;; esac
		return 1 ;;
	*) return 0 ;;
	esac
}

bad=0
while IFS= read -r f; do
	while IFS= read -r inc; do
		if ! allowed "$f" "$inc"; then
			echo "layering: $f includes \"$inc\"" >&2
			bad=1
		fi
	done < <(sed -nE 's/^[[:space:]]*#[[:space:]]*include[[:space:]]+"([^"]+)".*/\1/p' "$f")
done < <(git ls-files 'base/*' 'reconcile/*' 'exchanges/*' 'alerts/*' 'sql/*' | grep -E '\.(c|h)$')
[ $bad = 0 ] && echo "layering: every include keeps to the layers"
exit $bad
