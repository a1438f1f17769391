#!/usr/bin/env bash
# Start Microsoft 365 Agents Playground (Teams emulator) headless, pointed at the bot.
# Usage: tools/playground/run.sh [BOT_ENDPOINT]
#   BOT_ENDPOINT      default http://127.0.0.1:3978/api/messages
#   PLAYGROUND_PORT   default 56150 (the playground's own default)
#   PLAYGROUND_WORKDIR where devTools/ logs go; default ${TMPDIR:-/tmp}/circlebot-playground
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cli="$here/node_modules/@microsoft/m365agentsplayground/cli.js"
endpoint="${1:-${BOT_ENDPOINT:-http://127.0.0.1:3978/api/messages}}"
port="${PLAYGROUND_PORT:-56150}"
workdir="${PLAYGROUND_WORKDIR:-${TMPDIR:-/tmp}/circlebot-playground}"

command -v node >/dev/null || { echo "playground: node not found (install Node.js 20)" >&2; exit 1; }
[[ -f "$cli" ]] || { echo "playground: run 'npm ci --prefix $here' first" >&2; exit 1; }
# The playground silently moves to a random port if ours is taken; fail loudly instead.
if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
  echo "playground: port $port is already in use (set PLAYGROUND_PORT)" >&2
  exit 1
fi

mkdir -p "$workdir"
cd "$workdir"
# TEAMSAPPTESTER_BROWSER=none: do not spawn xdg-open (without it the process exits on headless hosts).
export TEAMSAPPTESTER_BROWSER=none
export M365_AGENTS_PLAYGROUND_LOGFILE="$workdir/devTools/m365agentsplayground.log"
echo "Teams playground: open http://localhost:$port in a browser (bot: $endpoint, log: $M365_AGENTS_PLAYGROUND_LOGFILE)"
exec node "$cli" --app-endpoint "$endpoint" --channel-id msteams --port "$port" --disable-telemetry
