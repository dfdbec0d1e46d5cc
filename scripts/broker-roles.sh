#!/bin/sh
# The broker users of the production shape and what each may do on the vhost, as RabbitMQ permission regexes
# (configure / write / read). scripts/infra-up.sh and docker-compose.yml both apply this one table; the
# "Broker users" section of docs/operations.md explains it.
#
#   broker-roles.sh table                          the roles and their regexes, tab-separated
#   broker-roles.sh definitions VHOST              RabbitMQ definitions (JSON) with the users and their permissions
#   broker-roles.sh apply-http URL VHOST           import them through the management API at URL (e.g.
#                                                  http://rabbitmq:15672), as RABBITMQ_ADMIN_USER / RABBITMQ_ADMIN_PASSWORD
#
# Users and passwords (environment; the defaults are for a local try only):
#   RABBITMQ_ORCHESTRATOR_USER / _PASSWORD   svc-orchestrator   the orchestrator processes
#   RABBITMQ_WORKER_USER / _PASSWORD         svc-worker         the worker processes
#   RABBITMQ_SUBMITTER_USER / _PASSWORD      svc-submitter      services that submit requests and hear outcomes
#
# Who may do what (RabbitMQ checks configure to declare or delete, write to publish to an exchange or bind to a
# queue or exchange as the destination, read to consume from a queue or bind from an exchange as the source; the
# default exchange, which reaches every queue by name, is "amq.default" and nobody here may write to it):
# - orchestrator: publishes InvokeModel, the outcomes (InferenceSucceeded, InferenceFailed, InferenceCancelled, and
#   a batch's BatchCompleted), its own timer messages (RetryDue, AttemptTimedOut, DeadlineReached, in a namespace of its own), and the requests and
#   commands the API and the sweep send; owns the saga queue inference-requests, the dead-letter queues of both
#   endpoints and its fleet queues (orchestrator-fleet-*); hears every message type of Orchestrator.Contracts.
# - worker: consumes invoke-model (and owns its _error/_skipped queues); publishes AttemptStarted, AttemptSucceeded,
#   AttemptFailed, EndpointCoolingDown and WorkerHeartbeat; hears the fleet (and InferenceCancelled, to drop the
#   queued attempts of cancelled requests) on its own worker-fleet-* queues.
# - submitter: publishes InferenceRequested and the commands (CancelInference, RetryInference, PauseInference,
#   ResumeInference, ApproveInference, RejectInference); subscribes to the outcomes; owns any queue or exchange whose
#   name is not reserved by the product (Orchestrator.*, MassTransit:*, amq.*, inference-requests*, invoke-model*,
#   orchestrator-fleet-*, worker-fleet-*).
# Every role may publish MassTransit's faults of the messages it consumes (MassTransit:Fault, MassTransit:ReceiveFault
# and MassTransit:Fault--<type>--).
set -eu

C='Orchestrator\.Contracts:'
REQUESTS='InferenceRequested|CancelInference|RetryInference|PauseInference|ResumeInference|ApproveInference|RejectInference'
OUTCOMES='InferenceSucceeded|InferenceFailed|InferenceCancelled|BatchCompleted'
ATTEMPTS='AttemptStarted|AttemptSucceeded|AttemptFailed'
FLEET='EndpointCoolingDown|WorkerHeartbeat'
# The orchestrator's own messages: any namespace of ours but the public contracts.
INTERNAL='Orchestrator\.(?!Contracts:)[A-Za-z0-9_.]+:[A-Za-z0-9_]+'
FAULTS='MassTransit:(Fault|ReceiveFault)'
# A submitting service's own queues and exchanges (its endpoints, MassTransit's temporary bus queue, a server-named
# amq.gen-* queue): anything the product does not reserve.
OWN='(?!amq\.|Orchestrator\.|MassTransit:|inference-requests|invoke-model|orchestrator-fleet-|worker-fleet-).+|amq\.gen-.+'

ORCH_ENDPOINTS='inference-requests(_error|_skipped)?|invoke-model(_error|_skipped)?|orchestrator-fleet-.+'
ORCH_FAULTS="$FAULTS|MassTransit:Fault--Orchestrator\.[A-Za-z0-9_.]+:[A-Za-z0-9_]+--"
WORKER_ENDPOINTS='invoke-model(_error|_skipped)?|worker-fleet-.+'
WORKER_FAULTS="$FAULTS|MassTransit:Fault--${C}(InvokeModel|InferenceCancelled|$FLEET)--"
SUBMITTER_FAULTS="$FAULTS|MassTransit:Fault--(${C}($OUTCOMES)|(?!Orchestrator\.).+)--"

ORCHESTRATOR_CONFIGURE="^(${C}[A-Za-z0-9_]+|$INTERNAL|$ORCH_ENDPOINTS|$ORCH_FAULTS)\$"
ORCHESTRATOR_WRITE="^(${C}(InvokeModel|$OUTCOMES|$REQUESTS)|$INTERNAL|$ORCH_ENDPOINTS|$ORCH_FAULTS)\$"
ORCHESTRATOR_READ="^(${C}[A-Za-z0-9_]+|$INTERNAL|$ORCH_ENDPOINTS|$ORCH_FAULTS)\$"
WORKER_CONFIGURE="^(${C}(InvokeModel|InferenceCancelled|$ATTEMPTS|$FLEET)|$WORKER_ENDPOINTS|$WORKER_FAULTS)\$"
WORKER_WRITE="^(${C}($ATTEMPTS|$FLEET)|$WORKER_ENDPOINTS|$WORKER_FAULTS)\$"
WORKER_READ="^(${C}(InvokeModel|InferenceCancelled|$FLEET)|$WORKER_ENDPOINTS|$WORKER_FAULTS)\$"
SUBMITTER_CONFIGURE="^(${C}($REQUESTS|$OUTCOMES)|$SUBMITTER_FAULTS|$OWN)\$"
SUBMITTER_WRITE="^(${C}($REQUESTS)|$SUBMITTER_FAULTS|$OWN)\$"
SUBMITTER_READ="^(${C}($OUTCOMES)|$SUBMITTER_FAULTS|$OWN)\$"

ORCHESTRATOR_USER="${RABBITMQ_ORCHESTRATOR_USER:-svc-orchestrator}"
ORCHESTRATOR_PASSWORD="${RABBITMQ_ORCHESTRATOR_PASSWORD:-$ORCHESTRATOR_USER}"
WORKER_USER="${RABBITMQ_WORKER_USER:-svc-worker}"
WORKER_PASSWORD="${RABBITMQ_WORKER_PASSWORD:-$WORKER_USER}"
SUBMITTER_USER="${RABBITMQ_SUBMITTER_USER:-svc-submitter}"
SUBMITTER_PASSWORD="${RABBITMQ_SUBMITTER_PASSWORD:-$SUBMITTER_USER}"
ROLES='ORCHESTRATOR WORKER SUBMITTER'

die() { printf '[broker-roles] ERROR: %s\n' "$*" >&2; exit 1; }
get() { eval "printf '%s' \"\$$1\""; }
json() { printf '"%s"' "$(printf '%s' "$1" | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g')"; }

table() {
  printf 'role\tuser\tconfigure\twrite\tread\n'
  for r in $ROLES; do
    printf '%s\t%s\t%s\t%s\t%s\n' "$(echo "$r" | tr 'A-Z' 'a-z')" "$(get "${r}_USER")" \
      "$(get "${r}_CONFIGURE")" "$(get "${r}_WRITE")" "$(get "${r}_READ")"
  done
}

definitions() { # vhost
  vhost="$1" sep=''
  printf '{"vhosts":[{"name":%s}],\n"users":[' "$(json "$vhost")"
  for r in $ROLES; do
    printf '%s\n{"name":%s,"password":%s,"tags":""}' "$sep" "$(json "$(get "${r}_USER")")" "$(json "$(get "${r}_PASSWORD")")"
    sep=','
  done
  printf '],\n"permissions":['
  sep=''
  for r in $ROLES; do
    printf '%s\n{"user":%s,"vhost":%s,"configure":%s,"write":%s,"read":%s}' "$sep" "$(json "$(get "${r}_USER")")" \
      "$(json "$vhost")" "$(json "$(get "${r}_CONFIGURE")")" "$(json "$(get "${r}_WRITE")")" "$(json "$(get "${r}_READ")")"
    sep=','
  done
  printf ']}\n'
}

apply_http() { # url vhost
  url="${1%/}" admin="${RABBITMQ_ADMIN_USER:-guest}" tries="${BROKER_WAIT_SECONDS:-120}"
  command -v curl >/dev/null || die "curl is needed to reach the management API at $url"
  # The broker's health check passes before the management listener opens: wait for it.
  until curl -fsS -o /dev/null -u "$admin:${RABBITMQ_ADMIN_PASSWORD:-guest}" "$url/api/overview" 2>/dev/null; do
    tries=$((tries - 1))
    [ "$tries" -gt 0 ] || die "the management API at $url did not answer (as $admin) within ${BROKER_WAIT_SECONDS:-120} s"
    sleep 1
  done
  definitions "$2" | curl -fsS -u "$admin:${RABBITMQ_ADMIN_PASSWORD:-guest}" -H 'content-type: application/json' \
    -X POST --data-binary @- "$url/api/definitions" >/dev/null || die "importing the broker users through $url failed"
  echo "[broker-roles] users $ORCHESTRATOR_USER, $WORKER_USER, $SUBMITTER_USER set up on vhost $2"
}

case "${1:-}" in
  table) table ;;
  definitions) [ $# -eq 2 ] || die "usage: broker-roles.sh definitions VHOST"; definitions "$2" ;;
  apply-http) [ $# -eq 3 ] || die "usage: broker-roles.sh apply-http URL VHOST"; apply_http "$2" "$3" ;;
  *) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
