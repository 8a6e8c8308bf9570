# Shared by setup.sh and stop.sh (sourced).

if [[ "$(id -u)" -eq 0 ]]; then SUDO=(); else SUDO=(sudo); fi
as_root() { "${SUDO[@]}" "$@"; }

# True if the process exists and is not a zombie (works without permission to
# signal it, unlike kill -0 for a non-root caller).
alive() {
  local st
  st="$(ps -o stat= -p "$1" 2>/dev/null)" || return 1
  [[ -n "$st" && "$st" != Z* ]]
}
