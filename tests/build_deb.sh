#!/usr/bin/env bash
# tests/build_deb.sh OUTDIR — build the Debian package (debian/) from a copy
# of the source files (tracked and new, not ignored: never build/), so the
# working tree and its build/ are left as they are. Prints the .deb's path.
# Used by `make deb` and by tests/integration/t_deb_package.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mkdir -p "$1" && cd "$1" && pwd)
ver=$(dpkg-parsechangelog -S Version)
src=$out/vigil-$ver
rm -rf "$src" "$out"/vigil_"$ver"_*
mkdir -p "$src"
if git rev-parse --git-dir >/dev/null 2>&1; then
	git ls-files -z --cached --others --exclude-standard | xargs -0 cp --parents -P -t "$src"
else
	tar --exclude=./build -cf - . | tar -C "$src" -xf -
fi
(cd "$src" && dpkg-buildpackage -us -uc -b >"$out/build.log" 2>&1) ||
	{ tail -30 "$out/build.log" >&2; echo "build_deb: dpkg-buildpackage failed (log: $out/build.log)" >&2; exit 1; }
ls "$out"/vigil_"$ver"_*.deb
