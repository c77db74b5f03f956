#!/usr/bin/env bash
# `npm test` runs this first (the `pretest` script): the tests start real foreign peers, so the
# commands below must exist. As root with apt-get (Debian) it installs what is missing; anywhere
# else it stops at once with one line naming what to install.
set -euo pipefail

# command -> Debian package that provides it. python3 runs the interop clients written as socket
# tutorials write them; nc (OpenBSD netcat) is the real foreign peer; script (util-linux) gives the
# interactive client a real terminal; chromium runs the web chat page (test/web, driven by playwright-core);
# redis-server is the backplane the scale-out tests start on a free port (test/backplane).
declare -A PACKAGE=([python3]=python3 [nc]=netcat-openbsd [script]=bsdutils [chromium]=chromium [redis-server]=redis-server)

missing_cmds=()
missing_pkgs=()
for cmd in "${!PACKAGE[@]}"; do
  if ! command -v "$cmd" >/dev/null 2>&1; then
    missing_cmds+=("$cmd")
    missing_pkgs+=("${PACKAGE[$cmd]}")
  fi
done
[ ${#missing_cmds[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "npm test needs ${missing_cmds[*]}: install ${missing_pkgs[*]} (Debian package names) and run it again" >&2
  exit 1
fi

echo "npm test: installing ${missing_pkgs[*]} with apt-get for ${missing_cmds[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing_pkgs[@]}" >/dev/null
