#!/usr/bin/env bash
# Installs code-server (VS Code in the browser) and Debian's Chromium for the e2e suite (test/e2e).
# Idempotent: when the marker file exists, a run only checks the apt packages and prints the binary path.
# Needs only the npm registry and Debian's apt (recipe: /work/shared/notes/code-server.md).
#
#   GREEN_AI_E2E_CACHE   cache root (default: $HOME/.cache/green-ai-e2e); code-server goes to $GREEN_AI_E2E_CACHE/code-server
#
# Progress goes to stderr; the last line of stdout is the absolute path of the code-server binary.
set -euo pipefail

CODE_SERVER_VERSION="4.100.3"   # the last code-server line that runs on Node 20 (4.103 and later need Node 22)
CACHE_ROOT="${GREEN_AI_E2E_CACHE:-$HOME/.cache/green-ai-e2e}"
INSTALL_DIR="$CACHE_ROOT/code-server"
MARKER="$INSTALL_DIR/.green-ai-e2e-installed"
BIN="$INSTALL_DIR/node_modules/.bin/code-server"
APT_PACKAGES=(chromium libkrb5-dev ripgrep)   # browser; Kerberos headers for VS Code's kerberos module; rg for VS Code's search

log() { printf '[setup-code-server %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# npm must never prompt (node-pty's install script runs `npx node-gyp`).
export npm_config_yes=true npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false
export npm_config_loglevel="${npm_config_loglevel:-warn}"
# Install scripts of dependencies must run (native modules: argon2, node-pty, spdlog, watcher, kerberos…).
# npm 11.x's allowScripts policy skips them silently unless allowed; npm 10 and earlier run them (as root too:
# npm 7+ runs scripts as the owner of the folder, which is root here, so unsafe-perm is no longer needed).
if [ "$(npm config get dangerously-allow-all-scripts 2>/dev/null || true)" = "false" ]; then
  export npm_config_dangerously_allow_all_scripts=true
fi

marker_content() { echo "code-server@$CODE_SERVER_VERSION node-$(node -p 'process.versions.modules')-$(uname -m)"; }

ensure_apt_packages() {
  local missing=() pkg
  for pkg in "${APT_PACKAGES[@]}"; do
    [ "$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)" = "install ok installed" ] || missing+=("$pkg")
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  log "installing apt packages: ${missing[*]}"
  local sudo=()
  if [ "$(id -u)" != "0" ]; then
    command -v sudo >/dev/null || die "apt packages missing: ${missing[*]}; run as root: apt-get install -y ${missing[*]}"
    sudo=(sudo)
  fi
  export DEBIAN_FRONTEND=noninteractive
  # `apt-get update` only when the package lists are missing or the install fails with the lists as they are.
  if ! compgen -G '/var/lib/apt/lists/*_Packages' >/dev/null \
     || ! "${sudo[@]}" apt-get install -y --no-install-recommends "${missing[@]}" >&2; then
    log "apt-get update"
    "${sudo[@]}" apt-get update >&2
    "${sudo[@]}" apt-get install -y --no-install-recommends "${missing[@]}" >&2
  fi
}

install_code_server() {
  log "installing code-server@$CODE_SERVER_VERSION into $INSTALL_DIR"
  rm -rf "$INSTALL_DIR"
  mkdir -p "$INSTALL_DIR"
  cd "$INSTALL_DIR"
  printf '{ "name": "green-ai-e2e-code-server", "private": true }\n' > package.json

  # 1. code-server without its postinstall (that would run `npm install` in lib/vscode and download ripgrep from GitHub).
  npm install --no-save --no-package-lock --ignore-scripts "code-server@$CODE_SERVER_VERSION" >&2
  # 2. code-server's own native module.
  npm rebuild argon2 >&2

  local vscode="$INSTALL_DIR/node_modules/code-server/lib/vscode"
  [ -d "$vscode/extensions" ] || die "unexpected code-server layout: $vscode/extensions is missing"
  # 3. VS Code's server dependencies; ripgrep is Debian's instead of a GitHub download.
  cd "$vscode"
  npm install --omit=dev --ignore-scripts >&2
  mkdir -p node_modules/@vscode/ripgrep/bin
  ln -sfn "$(command -v rg)" node_modules/@vscode/ripgrep/bin/rg   # its postinstall skips the download when bin/ exists
  npm rebuild >&2
  # What code-server's postinstall.sh does besides installing: the asar link and the CLI helper scripts.
  ln -sfn node_modules node_modules.asar
  ln -sfn code-linux.sh bin/remote-cli/code-server
  ln -sfn browser-linux.sh bin/helpers/browser.sh
  # 4. Dependencies of the built-in extensions.
  cd "$vscode/extensions"
  npm install --omit=dev >&2

  # Check that the native modules load (they fail only at first use otherwise).
  cd "$vscode"
  local mod
  for mod in node-pty @vscode/spdlog @parcel/watcher native-watchdog; do
    node -e "require('$mod')" 2>/dev/null || die "native module $mod does not load in $vscode; see the npm output above"
  done
  (cd "$INSTALL_DIR/node_modules/code-server" && node -e "require('argon2')") || die "argon2 does not load"
  [ -x "$BIN" ] || die "code-server binary not found at $BIN after the install"
  XDG_CONFIG_HOME="$INSTALL_DIR/.config" "$BIN" --version >&2 || die "$BIN --version failed"
  marker_content > "$MARKER"
  log "installed"
}

main() {
  local start=$SECONDS
  ensure_apt_packages
  if [ -f "$MARKER" ] && [ "$(cat "$MARKER")" = "$(marker_content)" ] && [ -x "$BIN" ]; then
    log "reusing $INSTALL_DIR"
  else
    command -v rg >/dev/null || die "ripgrep (rg) not on PATH after the apt install"
    [ -x /usr/bin/chromium ] || die "/usr/bin/chromium missing after the apt install"
    install_code_server
  fi
  log "done in $((SECONDS - start)) s"
  echo "$BIN"
}

main "$@"
