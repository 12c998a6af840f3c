#!/usr/bin/env bash
# `make run`: serve Sightline. With no Slack or Microsoft credentials, Teams runs anonymously and
# Microsoft 365 Agents Playground (a local Teams client) runs beside it until the bot stops.
set -euo pipefail
cd "$(dirname "$0")/.."
sightline="${BIN:-.venv/bin}/sightline"

if ! "$sightline" playground needed; then
  exec "$sightline" serve
fi

export SIGHTLINE_TEAMS_ALLOW_ANONYMOUS=true
if "$sightline" playground install; then
  "$sightline" playground start &
  playground=$!
  # Stop the Playground whenever this script ends: Ctrl-C, the bot exiting or failing.
  trap 'kill "$playground" 2>/dev/null || true; wait "$playground" 2>/dev/null || true' EXIT
else
  echo "make run: serving without the Agents Playground (see the reason above)" >&2
fi
"$sightline" serve
