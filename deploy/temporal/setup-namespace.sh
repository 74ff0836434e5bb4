#!/bin/sh
# One-shot job (temporalio/admin-tools image): waits for the Temporal server, creates the namespace and
# registers the search attributes the workflow sets. Idempotent: what already exists is left as it is, so it
# runs on every `docker compose up`.
#
# Environment:
#   TEMPORAL_ADDRESS     host:port of the frontend, e.g. temporal:7233
#   TEMPORAL_NAMESPACE   the namespace to create (default: default)
#   NAMESPACE_RETENTION  how long closed workflows are kept, a Go duration (default: 168h, 7 days)
#   SEARCH_ATTRIBUTES    space-separated Name=Type pairs, e.g. "GorgiasTicketId=Int CustomerEmail=Keyword"
set -eu

: "${TEMPORAL_ADDRESS:?is required, e.g. temporal:7233}"
NAMESPACE="${TEMPORAL_NAMESPACE:-default}"
RETENTION="${NAMESPACE_RETENTION:-168h}"
SEARCH_ATTRIBUTES="${SEARCH_ATTRIBUTES:-}"
ATTEMPTS="${SETUP_ATTEMPTS:-60}"

say() { echo "[setup-namespace] $*"; }

# Runs a command until it succeeds: the server, and then a new namespace, take a while to become usable.
retry() {
  n=1
  until "$@"; do
    if [ "$n" -ge "$ATTEMPTS" ]; then
      say "gave up after ${ATTEMPTS} attempts: $*"
      return 1
    fi
    n=$((n + 1))
    sleep 2
  done
}

say "waiting for the Temporal server at ${TEMPORAL_ADDRESS}"
retry temporal operator cluster health --address "$TEMPORAL_ADDRESS" >/dev/null

if temporal operator namespace describe --address "$TEMPORAL_ADDRESS" --namespace "$NAMESPACE" >/dev/null 2>&1; then
  say "namespace ${NAMESPACE} already exists"
else
  say "creating namespace ${NAMESPACE} (retention ${RETENTION})"
  retry temporal operator namespace create --address "$TEMPORAL_ADDRESS" --namespace "$NAMESPACE" \
    --retention "$RETENTION" --description "gorgias-autoreply: one workflow per Gorgias ticket"
fi

registered() {
  temporal operator search-attribute list --address "$TEMPORAL_ADDRESS" --namespace "$NAMESPACE" \
    --output json | grep -q "\"$1\""
}

create_attribute() {
  name="$1"
  type="$2"
  if registered "$name"; then
    say "search attribute ${name} already exists"
    return 0
  fi
  say "registering search attribute ${name} (${type})"
  # A concurrent run may win the race ("already exists"): what counts is that it is registered afterwards.
  temporal operator search-attribute create --address "$TEMPORAL_ADDRESS" --namespace "$NAMESPACE" \
    --name "$name" --type "$type" || registered "$name"
}

for pair in $SEARCH_ATTRIBUTES; do
  name="${pair%%=*}"
  type="${pair#*=}"
  if [ -z "$name" ] || [ "$name" = "$pair" ] || [ -z "$type" ]; then
    say "bad entry in SEARCH_ATTRIBUTES: '${pair}' (expected Name=Type)"
    exit 1
  fi
  retry create_attribute "$name" "$type"
done

# Registered is not usable yet: each Temporal frontend learns a namespace's new search attributes at its next
# namespace cache refresh (every 2 s by default), and refuses them until then ("no mapping defined for search
# attribute"). Wait until a query on each one is accepted, so the worker and the webhook, which compose starts
# once this job has exited, never meet that refusal.
usable() {
  temporal workflow count --address "$TEMPORAL_ADDRESS" --namespace "$NAMESPACE" --query "$1" >/dev/null 2>&1
}
for pair in $SEARCH_ATTRIBUTES; do
  name="${pair%%=*}"
  case "${pair#*=}" in
    Int | Double) value=0 ;;
    Bool) value=false ;;
    Datetime) value="'1970-01-01T00:00:00Z'" ;;
    *) value="'setup-check'" ;;
  esac
  retry usable "${name} = ${value}"
done
say "search attributes usable: ${SEARCH_ATTRIBUTES:-none}"
say "done"
