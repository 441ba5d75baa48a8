#!/bin/sh
# Roost agent installer: curl -fsSL http://CONTROL_PLANE/install.sh | sh -s -- --token T [--labels k=v,...]
# Everything comes from the control plane that served this script: the agent bundle (checked against
# its SHA-256) and, when this host has no Node.js >= 20, a Node runtime. POSIX sh; passes shellcheck.
set -eu

ROOST_URL="${ROOST_URL:-@@ROOST_URL@@}"
TOKEN="${ROOST_REGISTRATION_TOKEN:-}"
# ROOST_TOKEN, its older name, counts only when it holds a registration token: the CLI reads it as its API token
case "${ROOST_TOKEN:-}" in rrt.*) [ -n "$TOKEN" ] || TOKEN="$ROOST_TOKEN" ;; esac
LABELS="${ROOST_AGENT_LABELS:-}"
NAME="${ROOST_AGENT_NAME:-}"
PREFIX="${ROOST_PREFIX:-}"
NO_SERVICE="${ROOST_NO_SERVICE:-}"
NO_START="${ROOST_NO_START:-}"
UNINSTALL="${ROOST_UNINSTALL:-}"
AUTO_UPGRADE="${ROOST_AUTO_UPGRADE:-}"
SERVICE=roost-agent

say() { printf 'roost-install: %s\n' "$*" >&2; }
die() {
  say "error: $*"
  exit 1
}

usage() {
  cat <<EOF
usage: install.sh --token T [--labels k=v,...] [--name NAME] [--prefix DIR] [--url URL]
                  [--no-service] [--no-start] [--auto-upgrade] [--uninstall]
  --token       registration token (roost agent token create)          ROOST_REGISTRATION_TOKEN
  --labels      labels to claim, within what the token allows           ROOST_AGENT_LABELS
  --name        display name of the agent (default: host name)          ROOST_AGENT_NAME
  --prefix      install here (default /opt/roost-agent as root, else ~/.roost-agent)  ROOST_PREFIX
  --url         the control plane (default: where this script came from)  ROOST_URL
  --no-service  run the agent in the foreground instead of as a systemd service  ROOST_NO_SERVICE=1
  --no-start    install and register, run nothing                       ROOST_NO_START=1
  --auto-upgrade  switch to the control plane's newer bundles by itself, when idle  ROOST_AUTO_UPGRADE=1
  --uninstall   stop and remove the agent (its registration is dropped locally)  ROOST_UNINSTALL=1
Re-running upgrades in place and keeps the registration.
EOF
}

while [ $# -gt 0 ]; do
  case "$1" in
    --token) [ $# -ge 2 ] || die "--token needs a value"; TOKEN="$2"; shift ;;
    --token=*) TOKEN="${1#*=}" ;;
    --labels) [ $# -ge 2 ] || die "--labels needs a value"; LABELS="$2"; shift ;;
    --labels=*) LABELS="${1#*=}" ;;
    --name) [ $# -ge 2 ] || die "--name needs a value"; NAME="$2"; shift ;;
    --name=*) NAME="${1#*=}" ;;
    --prefix) [ $# -ge 2 ] || die "--prefix needs a value"; PREFIX="$2"; shift ;;
    --prefix=*) PREFIX="${1#*=}" ;;
    --url) [ $# -ge 2 ] || die "--url needs a value"; ROOST_URL="$2"; shift ;;
    --url=*) ROOST_URL="${1#*=}" ;;
    --no-service) NO_SERVICE=1 ;;
    --no-start) NO_START=1 ;;
    --uninstall) UNINSTALL=1 ;;
    --auto-upgrade) AUTO_UPGRADE=1 ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown option $1" ;;
  esac
  shift
done

case "$ROOST_URL" in
  http://* | https://*) ROOST_URL="${ROOST_URL%/}" ;;
  *) die "the control plane URL '$ROOST_URL' must start with http:// or https:// (--url)" ;;
esac

is_root() { [ "$(id -u)" = 0 ]; }
if [ -z "$PREFIX" ]; then
  if is_root; then PREFIX=/opt/roost-agent; else PREFIX="${HOME:?HOME is not set}/.roost-agent"; fi
fi

# ---- platform ----
case "$(uname -s)" in
  Linux) OS=linux ;;
  Darwin) OS=darwin ;;
  *) die "unsupported operating system $(uname -s): Linux and macOS are supported (Windows: install.ps1)" ;;
esac
case "$(uname -m)" in
  x86_64 | amd64) ARCH=x64 ;;
  aarch64 | arm64) ARCH=arm64 ;;
  *) die "unsupported architecture $(uname -m): x64 and arm64 are supported" ;;
esac

# ---- service units ----
if is_root; then
  UNIT_DIR=/etc/systemd/system
  SYSTEMCTL="systemctl"
else
  UNIT_DIR="${XDG_CONFIG_HOME:-$HOME/.config}/systemd/user"
  SYSTEMCTL="systemctl --user"
fi

have() { command -v "$1" >/dev/null 2>&1; }

if [ -n "$UNINSTALL" ]; then
  if [ -f "$UNIT_DIR/$SERVICE.service" ]; then
    $SYSTEMCTL disable --now "$SERVICE" >/dev/null 2>&1 || true
    rm -f "$UNIT_DIR/$SERVICE.service"
    $SYSTEMCTL daemon-reload >/dev/null 2>&1 || true
    say "removed the $SERVICE service"
  fi
  for plist in "$HOME/Library/LaunchAgents/dev.roost.agent.plist" /Library/LaunchDaemons/dev.roost.agent.plist; do
    if [ -f "$plist" ]; then
      launchctl unload "$plist" >/dev/null 2>&1 || true
      rm -f "$plist"
      say "removed the launchd job $plist"
    fi
  done
  if [ -d "$PREFIX" ]; then
    rm -rf "$PREFIX"
    say "removed $PREFIX"
  fi
  say "uninstalled (revoke the agent on the control plane too: roost agent revoke ID)"
  exit 0
fi

# ---- downloads ----
if have curl; then
  fetch() { curl -fsSL --retry 3 -o "$2" "$ROOST_URL$1" || die "download of $ROOST_URL$1 failed"; }
elif have wget; then
  fetch() { wget -q -O "$2" "$ROOST_URL$1" || die "download of $ROOST_URL$1 failed"; }
else
  die "curl or wget is needed to download the agent"
fi

sha256_of() {
  if have sha256sum; then
    sha256sum "$1" | cut -d ' ' -f 1
  elif have shasum; then
    shasum -a 256 "$1" | cut -d ' ' -f 1
  else
    die "sha256sum or shasum is needed to verify downloads"
  fi
}

# Downloads $1 to $2 and checks it against the SHA-256 the control plane publishes at $1.sha256.
fetch_verified() {
  fetch "$1.sha256" "$2.sha256"
  expected="$(cut -d ' ' -f 1 <"$2.sha256")"
  fetch "$1" "$2"
  actual="$(sha256_of "$2")"
  [ "$expected" = "$actual" ] || die "$1 is corrupt: SHA-256 $actual, the control plane says $expected"
  rm -f "$2.sha256"
}

mkdir -p "$PREFIX"
chmod 700 "$PREFIX"
WORK="$(mktemp -d "$PREFIX/.install.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT INT TERM

# ---- Node.js ----
node_major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
NODE=""
if have node && [ "$(node_major node)" -ge 20 ]; then
  NODE="$(command -v node)"
  say "using Node.js $("$NODE" --version) at $NODE"
elif [ -x "$PREFIX/runtime/node" ] && [ "$(node_major "$PREFIX/runtime/node")" -ge 20 ]; then
  NODE="$PREFIX/runtime/node"
  say "using the Node.js runtime installed before ($("$NODE" --version))"
else
  say "no Node.js >= 20 here: taking node-$OS-$ARCH from the control plane"
  fetch_verified "/install/runtimes/node-$OS-$ARCH" "$WORK/node"
  chmod 755 "$WORK/node"
  mkdir -p "$PREFIX/runtime"
  mv "$WORK/node" "$PREFIX/runtime/node"
  NODE="$PREFIX/runtime/node"
  say "installed Node.js $("$NODE" --version) in $PREFIX/runtime"
fi

# ---- the agent bundle (upgrade in place; the previous version is kept for rollback) ----
fetch_verified /install/agent.tar.gz "$WORK/agent.tar.gz"
mkdir -p "$WORK/app"
tar -xzf "$WORK/agent.tar.gz" -C "$WORK/app"
[ -f "$WORK/app/roost-agent.mjs" ] || die "the agent bundle holds no roost-agent.mjs"
if [ -d "$PREFIX/app" ]; then
  rm -rf "$PREFIX/app.previous"
  mv "$PREFIX/app" "$PREFIX/app.previous"
fi
mv "$WORK/app" "$PREFIX/app"
say "agent $(cat "$PREFIX/app/VERSION" 2>/dev/null || echo '?') installed in $PREFIX/app"

mkdir -p "$PREFIX/bin"
cat >"$PREFIX/bin/roost-agent" <<EOF
#!/bin/sh
# written by install.sh: runs the Roost agent installed here. \`start\` runs it again when it exits with
# 75: it has switched to a new bundle in app/ (roost agent start --auto-upgrade). A signal stops it.
# --max-semi-space-size=1: a young generation of 1 MiB (V8 grows it to 16 MiB) keeps an idle agent's
# memory several MiB lower, for a few more short collections under load.
NODE="$NODE"
APP="$PREFIX/app/roost-agent.mjs"
[ "\${1:-}" = start ] || exec "\$NODE" "\$APP" "\$@"
child=""
stopping=""
trap 'stopping=1; [ -z "\$child" ] || kill -TERM "\$child" 2>/dev/null' TERM INT HUP
while :; do
  "\$NODE" --max-semi-space-size=1 "\$APP" "\$@" &
  child=\$!
  code=0
  wait "\$child" || code=\$?
  # a trapped signal ends wait early: wait again for the agent's own exit
  while kill -0 "\$child" 2>/dev/null; do
    code=0
    wait "\$child" || code=\$?
  done
  if [ -n "\$stopping" ] || [ "\$code" -ne 75 ]; then exit "\$code"; fi
done
EOF
chmod 755 "$PREFIX/bin/roost-agent"
DATA="$PREFIX/data"
START_FLAGS=""
[ -z "$AUTO_UPGRADE" ] || START_FLAGS=" --auto-upgrade"

# ---- registration (kept when re-running) ----
if grep -q '"credential"' "$DATA/agent.json" 2>/dev/null; then
  say "already registered: keeping the registration in $DATA/agent.json"
else
  [ -n "$TOKEN" ] || die "--token is required to register this agent (roost agent token create)"
  set -- register --url "$ROOST_URL" --token "$TOKEN" --data-dir "$DATA"
  [ -z "$LABELS" ] || set -- "$@" --labels "$LABELS"
  [ -z "$NAME" ] || set -- "$@" --name "$NAME"
  "$PREFIX/bin/roost-agent" "$@" || die "registration failed"
fi

# ---- the systemd unit (written always, so it can be checked; installed unless --no-service) ----
if is_root; then WANTED_BY=multi-user.target; else WANTED_BY=default.target; fi
cat >"$PREFIX/$SERVICE.service" <<EOF
[Unit]
Description=Roost agent
Documentation=$ROOST_URL
Wants=network-online.target
After=network-online.target

[Service]
Type=simple
ExecStart=$PREFIX/bin/roost-agent start --data-dir $DATA$START_FLAGS
Restart=always
RestartSec=5
KillSignal=SIGTERM
TimeoutStopSec=120
NoNewPrivileges=true

[Install]
WantedBy=$WANTED_BY
EOF

# ---- the launchd job for macOS (written always, like the unit; loaded on macOS unless --no-service) ----
LABEL=dev.roost.agent
cat >"$PREFIX/$LABEL.plist" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
  <key>Label</key><string>$LABEL</string>
  <key>ProgramArguments</key>
  <array>
    <string>$PREFIX/bin/roost-agent</string>
    <string>start</string>
    <string>--data-dir</string>
    <string>$DATA</string>$([ -z "$AUTO_UPGRADE" ] || printf '\n    <string>--auto-upgrade</string>')
  </array>
  <key>RunAtLoad</key><true/>
  <key>KeepAlive</key><true/>
  <key>StandardOutPath</key><string>$PREFIX/agent.log</string>
  <key>StandardErrorPath</key><string>$PREFIX/agent.log</string>
</dict>
</plist>
EOF

if [ -n "$NO_SERVICE" ]; then
  if [ -n "$NO_START" ]; then
    say "installed; start it with: $PREFIX/bin/roost-agent start --data-dir $DATA$START_FLAGS"
    exit 0
  fi
  say "running the agent in the foreground (Ctrl-C stops it)"
  rm -rf "$WORK"
  trap - EXIT INT TERM
  if [ -n "$AUTO_UPGRADE" ]; then exec "$PREFIX/bin/roost-agent" start --data-dir "$DATA" --auto-upgrade; fi
  exec "$PREFIX/bin/roost-agent" start --data-dir "$DATA"
fi

if [ "$OS" = darwin ]; then
  if is_root; then PLIST_DIR=/Library/LaunchDaemons; DOMAIN=system; else PLIST_DIR="$HOME/Library/LaunchAgents"; DOMAIN="gui/$(id -u)"; fi
  mkdir -p "$PLIST_DIR"
  launchctl bootout "$DOMAIN/$LABEL" >/dev/null 2>&1 || true
  cp "$PREFIX/$LABEL.plist" "$PLIST_DIR/$LABEL.plist"
  if [ -n "$NO_START" ]; then
    say "installed $PLIST_DIR/$LABEL.plist; start it with: launchctl bootstrap $DOMAIN $PLIST_DIR/$LABEL.plist"
  else
    launchctl bootstrap "$DOMAIN" "$PLIST_DIR/$LABEL.plist"
    say "the agent runs under launchd ($LABEL); log in $PREFIX/agent.log"
  fi
  exit 0
fi

have systemctl || die "systemctl not found: re-run with --no-service, or run $PREFIX/bin/roost-agent start --data-dir $DATA under your own supervisor"
mkdir -p "$UNIT_DIR"
cp "$PREFIX/$SERVICE.service" "$UNIT_DIR/$SERVICE.service"
$SYSTEMCTL daemon-reload
if [ -n "$NO_START" ]; then
  $SYSTEMCTL enable "$SERVICE" >/dev/null
  say "installed and enabled the $SERVICE service; start it with: $SYSTEMCTL start $SERVICE"
else
  $SYSTEMCTL enable "$SERVICE" >/dev/null
  $SYSTEMCTL restart "$SERVICE"
  say "the $SERVICE service is running: $SYSTEMCTL status $SERVICE"
  is_root || say "as a user service it stops when you log out, unless: loginctl enable-linger $(id -un)"
fi
