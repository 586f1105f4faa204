#!/usr/bin/env bash
# Print the path of a working Python >= 3.12 (with venv support), or explain what to install.
#
# Each candidate is tested by running it: on pyenv machines `python3.12` can be a shim that
# exists on PATH but fails with "command not found" when no 3.12 is selected.
# Set PYTHON=/path/to/python3 to try that interpreter first.
set -uo pipefail

# pyenv and uv read .python-version from the current directory, so look from the repo root.
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1

check='import sys, venv, ensurepip; assert sys.version_info >= (3, 12); print(sys.executable)'
pyenv_root="${PYENV_ROOT:-$HOME/.pyenv}"

candidates=()
[[ -n "${PYTHON:-}" ]] && candidates+=("$PYTHON")
candidates+=(python3.13 python3.12 python3 python "$pyenv_root/shims/python3")
# Installed pyenv versions, newest first, in case .python-version names one that is missing.
while IFS= read -r dir; do
    candidates+=("$dir/bin/python3")
done < <(ls -d "$pyenv_root"/versions/3.* 2>/dev/null | sort -rV)
if command -v uv >/dev/null 2>&1; then
    found="$(uv python find '>=3.12' 2>/dev/null)" && candidates+=("$found")
fi
candidates+=(/usr/local/bin/python3.13 /usr/local/bin/python3.12 /usr/bin/python3.13 /usr/bin/python3.12)

for candidate in "${candidates[@]}"; do
    if path="$("$candidate" -c "$check" 2>/dev/null)" && [[ -n "$path" ]]; then
        echo "$path"
        exit 0
    fi
done

cat >&2 <<'EOF'
VeoStudio needs Python 3.12 or newer (with the venv module), and none was found.
Install one of these ways, then run the command again:
  - pyenv:   pyenv install 3.12        (the project's .python-version selects it)
  - uv:      uv python install 3.12
  - Debian/Ubuntu:  sudo apt-get install python3.12 python3.12-venv
  - macOS/Windows:  the installer from https://www.python.org/downloads/
Or point to an interpreter you already have:  make install PYTHON=/path/to/python3.12
EOF
exit 1
