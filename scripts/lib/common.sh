#!/usr/bin/env bash
# Shared helpers for the setup and service scripts. Source it: `. "$ROOT/scripts/lib/common.sh"`.
#
#   as_root CMD...          runs CMD as root: directly when we are root, through sudo otherwise
#                           (environment for apt goes through `env`, never `sudo -E`).
#   force_install           true when TASKHUB_FORCE_INSTALL=1: every install step runs even if the
#                           tool is already there, so CI exercises the branch a fresh machine takes.
#   apt_install PKG...      installs the Debian packages that are missing (all of them when forced),
#                           non-interactively; refreshes the package lists only when needed.
#   npm_ci DIR [MARKER...]  `npm ci` in DIR when a MARKER path under DIR is missing, the lock file is
#                           newer than the installed tree, or when forced.

as_root() {
  if [ "$(id -u)" = 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    echo "need root for: $* (run as root or install sudo)" >&2
    return 1
  fi
}

force_install() { [ "${TASKHUB_FORCE_INSTALL:-0}" = 1 ]; }

apt_install() {
  local wanted=()
  if force_install; then
    wanted=("$@")
  else
    local pkg
    for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || wanted+=("$pkg"); done
  fi
  [ ${#wanted[@]} -eq 0 ] && return 0
  echo "installing ${wanted[*]} (apt)" >&2
  local apt=(env DEBIAN_FRONTEND=noninteractive apt-get -y -qq -o Dpkg::Use-Pty=0)
  # Try with the lists we have; refresh them only when a package cannot be found.
  if ! as_root "${apt[@]}" install --no-install-recommends "${wanted[@]}" >/dev/null 2>&1; then
    as_root "${apt[@]}" update >/dev/null
    as_root "${apt[@]}" install --no-install-recommends "${wanted[@]}" >/dev/null
  fi
}

npm_ci() {
  local dir=$1; shift
  local need=0 marker
  force_install && need=1
  [ -f "$dir/node_modules/.package-lock.json" ] || need=1
  [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ] && need=1
  for marker in "$@"; do [ -e "$dir/$marker" ] || need=1; done
  [ "$need" = 0 ] && return 0
  command -v npm >/dev/null 2>&1 || { echo "npm is required (install node 20+)" >&2; return 1; }
  echo "installing npm packages in $dir (npm ci)" >&2
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
}
