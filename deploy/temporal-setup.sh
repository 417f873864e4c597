#!/bin/sh
# One-shot: the namespace and Ratchet's custom search attributes (idempotent).
set -eu
ns="${TEMPORAL_NAMESPACE:-default}"
temporal operator namespace describe --namespace "$ns" >/dev/null 2>&1 \
  || temporal operator namespace create --namespace "$ns" --retention 30d
for attr in RatchetModel:Keyword RatchetRunKind:Keyword RatchetStage:Keyword RatchetVerdict:Keyword RatchetCandidateVersion:Int; do
  temporal operator search-attribute create --namespace "$ns" --name "${attr%%:*}" --type "${attr##*:}" || true
done
