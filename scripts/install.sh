#!/usr/bin/env bash
# babymon installer for a Raspberry Pi (Raspberry Pi OS / Debian) or a Jetson (L4T / Ubuntu).
#
#   sudo scripts/install.sh [--dry-run] [options]
#
# Installs the system packages, copies babymon to --prefix, installs its Node dependencies, builds it and its
# YAMNet model, creates the `babymon` user and its data directory, writes a default config (never overwrites
# one), installs and enables the systemd unit. Safe to run again: every step checks first and only does what
# is missing (the code and the unit are refreshed). --dry-run prints what would be done and changes nothing.
set -euo pipefail

DRY_RUN=0
PREFIX=/opt/babymon
SERVICE_USER=babymon
DATA_DIR=/var/lib/babymon
CONFIG_DIR=/etc/babymon
UNIT_DIR=/etc/systemd/system
SKIP_APT=0
SKIP_MODELS=0
START=1
YAMNET_TFLITE="${BABYMON_YAMNET_TFLITE:-}"
YAMNET_URL=""
SOURCE_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
APT_PACKAGES=(alsa-utils ffmpeg sqlite3 mosquitto-clients ca-certificates rsync python3 make g++)
NODE_MAJOR_MIN=20

usage() {
  cat <<EOF
Usage: sudo $0 [options]
  --dry-run            print what would be done, change nothing
  --prefix DIR         where babymon is installed (default $PREFIX): new, empty or a previous install
  --user NAME          the service user (default $SERVICE_USER)
  --data-dir DIR       database and clips (default $DATA_DIR)
  --yamnet-tflite F    YAMNet TFLite file for 'babymon models' (default \$BABYMON_YAMNET_TFLITE or ../shared)
  --yamnet-url URL     download the YAMNet TFLite file from URL instead
  --skip-apt           do not install system packages
  --skip-models        do not build the YAMNet model
  --no-start           install and enable the unit, but do not (re)start it
  -h, --help           this text
EOF
}

while [ $# -gt 0 ]; do
  case "$1" in
    --dry-run) DRY_RUN=1 ;;
    --prefix) PREFIX="$2"; shift ;;
    --user) SERVICE_USER="$2"; shift ;;
    --data-dir) DATA_DIR="$2"; shift ;;
    --yamnet-tflite) YAMNET_TFLITE="$2"; shift ;;
    --yamnet-url) YAMNET_URL="$2"; shift ;;
    --skip-apt) SKIP_APT=1 ;;
    --skip-models) SKIP_MODELS=1 ;;
    --no-start) START=0 ;;
    -h | --help) usage; exit 0 ;;
    *) echo "install.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
  esac
  shift
done

PREFIX="${PREFIX%/}"
DATA_DIR="${DATA_DIR%/}"

say() { printf '==> %s\n' "$*"; }
# Runs a command, or prints it in --dry-run mode.
run() {
  if [ "$DRY_RUN" = 1 ]; then
    printf '+ %s\n' "$*"
  else
    "$@"
  fi
}
# Writes stdin to a file (mode, owner) unless it exists; prints it in --dry-run mode.
write_once() {
  local file="$1" mode="$2" owner="$3"
  if [ -e "$file" ]; then
    say "keeping existing $file"
    cat >/dev/null
    return
  fi
  if [ "$DRY_RUN" = 1 ]; then
    printf '+ write %s (mode %s, owner %s):\n' "$file" "$mode" "$owner"
    sed 's/^/    | /'
  else
    install -m "$mode" -o "${owner%%:*}" -g "${owner##*:}" /dev/stdin "$file"
  fi
}

if [ "$DRY_RUN" = 0 ] && [ "$(id -u)" -ne 0 ]; then
  echo "install.sh: run as root (sudo $0), or try --dry-run first" >&2
  exit 1
fi

# The copy step (rsync --delete) empties --prefix of anything babymon does not ship: refuse a directory that
# holds something else (--prefix /usr). A babymon install is marked by INSTALL_MARKER, which this script writes.
INSTALL_MARKER="$PREFIX/.babymon-install"
if [ "$SOURCE_DIR" != "$PREFIX" ] && [ -e "$PREFIX" ]; then
  if [ ! -d "$PREFIX" ]; then
    echo "install.sh: --prefix $PREFIX exists and is not a directory; expected a new, empty or previous babymon install directory" >&2
    exit 1
  fi
  if [ -n "$(ls -A "$PREFIX")" ] && [ ! -f "$INSTALL_MARKER" ]; then
    # installed before the marker existed: babymon's own package.json is there
    if [ -f "$PREFIX/package.json" ] && grep -q '^  "name": "babymon",$' "$PREFIX/package.json"; then
      :
    else
      echo "install.sh: --prefix $PREFIX is not empty and is not a previous babymon install (no marker $INSTALL_MARKER);" \
        "installing there would delete what it holds (rsync --delete). Expected a new or empty directory, or one" \
        "this script installed into; choose another --prefix (default /opt/babymon)" >&2
      exit 1
    fi
  fi
fi

BOARD="unknown board"
[ -r /proc/device-tree/model ] && BOARD="$(tr -d '\0' </proc/device-tree/model)"
say "babymon installer on ${BOARD} ($(uname -m)), source ${SOURCE_DIR}, prefix ${PREFIX}$([ "$DRY_RUN" = 1 ] && echo ', DRY RUN')"

# 1. System packages (only the missing ones).
if [ "$SKIP_APT" = 0 ]; then
  missing=()
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    say "installing system packages: ${missing[*]}"
    run apt-get update -qq
    run env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
  else
    say "system packages already installed"
  fi
fi

# 2. Node.js ≥ 20 (Debian bookworm ships 18: take it from NodeSource or the distribution's backports).
NODE_BIN="$(command -v node || true)"
if [ -z "$NODE_BIN" ] || [ "$("$NODE_BIN" -p 'process.versions.node.split(".")[0]')" -lt "$NODE_MAJOR_MIN" ]; then
  msg="Node.js >= ${NODE_MAJOR_MIN} is required (found: ${NODE_BIN:-none}); install it, e.g. from https://github.com/nodesource/distributions"
  if [ "$DRY_RUN" = 1 ]; then say "WARNING: $msg"; NODE_BIN=/usr/bin/node; else echo "install.sh: $msg" >&2; exit 1; fi
else
  say "node $("$NODE_BIN" --version) at $NODE_BIN"
fi
NPM_BIN="$(dirname "$NODE_BIN")/npm"

# 3. The code, its dependencies, the build and the model.
if [ "$SOURCE_DIR" != "$PREFIX" ]; then
  say "copying babymon to $PREFIX"
  run mkdir -p "$PREFIX"
  run rsync -a --delete --exclude .git --exclude node_modules --exclude dist --exclude /data \
    --exclude /.babymon-install "$SOURCE_DIR/" "$PREFIX/"
  marker="babymon $("$NODE_BIN" -p 'require(process.argv[1]).version' "$SOURCE_DIR/package.json" 2>/dev/null || echo '?') installed from $SOURCE_DIR by scripts/install.sh on $(date -u +%Y-%m-%dT%H:%M:%SZ) (lets a later install.sh --prefix $PREFIX replace this directory)"
  if [ "$DRY_RUN" = 1 ]; then
    printf '+ write %s: %s\n' "$INSTALL_MARKER" "$marker"
  else
    printf '%s\n' "$marker" >"$INSTALL_MARKER"
  fi
fi
say "installing Node dependencies and building"
run "$NPM_BIN" --prefix "$PREFIX" ci --no-audit --no-fund
run "$NPM_BIN" --prefix "$PREFIX" run build
if [ "$SKIP_MODELS" = 0 ]; then
  shared_tflite="$SOURCE_DIR/../shared/models/yamnet/yamnet-frames-dynamic-int8.tflite"
  [ -z "$YAMNET_TFLITE" ] && [ -z "$YAMNET_URL" ] && [ -f "$shared_tflite" ] && YAMNET_TFLITE="$(cd "$(dirname "$shared_tflite")" && pwd)/$(basename "$shared_tflite")"
  models_args=()
  [ -n "$YAMNET_URL" ] && models_args+=(--url "$YAMNET_URL")
  [ -n "$YAMNET_TFLITE" ] && models_args+=(--tflite "$YAMNET_TFLITE")
  say "building the YAMNet model (a no-op when up to date)"
  run "$NODE_BIN" "$PREFIX/dist/cli/main.js" models "${models_args[@]}"
fi

# 4. The service user, its groups and the data directory.
if id -u "$SERVICE_USER" >/dev/null 2>&1; then
  say "user $SERVICE_USER exists"
else
  say "creating the system user $SERVICE_USER"
  run useradd --system --user-group --home-dir "$DATA_DIR" --no-create-home --shell /usr/sbin/nologin "$SERVICE_USER"
fi
# Raspberry Pi OS has a gpio group with udev rules for /sys/class/gpio; elsewhere (Jetson, plain Debian) the
# group may be missing, and systemd refuses to start a unit whose SupplementaryGroups= do not exist.
for g in audio gpio; do
  getent group "$g" >/dev/null || { say "creating group $g"; run groupadd --system "$g"; }
  if id -nG "$SERVICE_USER" 2>/dev/null | tr ' ' '\n' | grep -qx "$g"; then
    say "$SERVICE_USER is in group $g"
  else
    run usermod -a -G "$g" "$SERVICE_USER"
  fi
done
if [ -d "$DATA_DIR" ]; then
  say "data directory $DATA_DIR exists"
else
  run install -d -m 0750 -o "$SERVICE_USER" -g "$SERVICE_USER" "$DATA_DIR"
fi

# 5. Config (never overwritten) and the secrets file for the MQTT password.
run install -d -m 0755 "$CONFIG_DIR"
write_once "$CONFIG_DIR/babymon.yaml" 0640 "root:$SERVICE_USER" <<EOF
# babymon configuration — see $PREFIX/README.md. Check it with: babymon check-config -c $CONFIG_DIR/babymon.yaml
dataDir: $DATA_DIR
audio:
  device: default          # the ALSA capture device: 'arecord -L' or 'babymon devices', e.g. plughw:CARD=Device,DEV=0
mqtt:
  # url: mqtt://homeassistant.local:1883   # without a url an embedded broker listens on 127.0.0.1 only, with a
  #                                         # generated login: babymon check-config --show-mqtt-credentials
  # username: babymon                       # the password goes into $CONFIG_DIR/babymon.env
  deviceName: Baby monitor
gpio:
  enabled: true            # LEDs on BCM 17 (heartbeat), 27 (crying), 22 (fault): see hardware.md
EOF
write_once "$CONFIG_DIR/babymon.env" 0600 "root:root" <<EOF
# Environment for babymon.service (root-only). For example:
# BABYMON_MQTT__PASSWORD=secret
EOF

# 6. The systemd unit, with this machine's paths.
UNIT_FILE="$UNIT_DIR/babymon.service"
say "installing $UNIT_FILE"
if [ "$DRY_RUN" = 1 ]; then
  printf '+ write %s from systemd/babymon.service (node %s, prefix %s, data %s, user %s)\n' \
    "$UNIT_FILE" "$NODE_BIN" "$PREFIX" "$DATA_DIR" "$SERVICE_USER"
else
  sed -e "s#/usr/bin/node#$NODE_BIN#g" -e "s#/opt/babymon#$PREFIX#g" -e "s#/var/lib/babymon#$DATA_DIR#g" \
    -e "s#^User=babymon#User=$SERVICE_USER#" -e "s#^Group=babymon#Group=$SERVICE_USER#" \
    -e "s#/etc/babymon#$CONFIG_DIR#g" "$SOURCE_DIR/systemd/babymon.service" >"$UNIT_FILE.tmp"
  mv "$UNIT_FILE.tmp" "$UNIT_FILE"
fi
if command -v systemctl >/dev/null && [ -d /run/systemd/system ] || [ "$DRY_RUN" = 1 ]; then
  run systemctl daemon-reload
  run systemctl enable babymon.service
  [ "$START" = 1 ] && run systemctl restart babymon.service
else
  say "systemd is not running here: start babymon with 'systemctl start babymon' on the device"
fi

say "done. Logs: journalctl -u babymon -f   Status: systemctl status babymon   First-boot checklist: $PREFIX/hardware.md"
# The embedded broker (no mqtt.url) generates its login at the first start, as the service user, in the data dir.
say "MQTT login of the embedded broker (after the first start), e.g. for Home Assistant: sudo -u $SERVICE_USER $NODE_BIN $PREFIX/dist/cli/main.js check-config -c $CONFIG_DIR/babymon.yaml --show-mqtt-credentials"
