#!/usr/bin/env bash
# A development CA and one certificate per service for gRPC mutual TLS (ECDSA P-256, openssl CLI).
#   pki.sh                 the six services' certificates under $RUN_DIR/pki (default .run/pki)
#   pki.sh DIR NAME...     certificates of NAME... under DIR (the tests' throwaway CAs)
# Idempotent: the CA is made once; a certificate is made again only when missing, not issued by
# the CA in DIR, or expiring within 30 days. Files: DIR/ca.crt, DIR/ca.key, DIR/<name>.{crt,key};
# a certificate's subject CN is the service's name (servers check callers by it), its SANs
# DNS:<name>, DNS:localhost and IP:127.0.0.1 (the addresses clients dial, in compose and locally).
# Development only: the service keys are readable by all (the containers' user must read them
# from the mounted directory); production certificates come from a real CA and a secret store.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
ROOT="$(cd "$here/../.." && pwd -P)"
DIR="${1:-${RUN_DIR:-$ROOT/.run}/pki}"
shift || true
NAMES=("$@")
((${#NAMES[@]})) || NAMES=(gateway auth product order payment notification)
DAYS="${PKI_DAYS:-365}"
RENEW_BEFORE_SECONDS=$((30 * 24 * 3600))

mkdir -p "$DIR"
umask 077
curve=(-newkey ec -pkeyopt ec_paramgen_curve:P-256 -noenc)

if [[ ! -s "$DIR/ca.crt" || ! -s "$DIR/ca.key" ]] ||
  ! openssl x509 -in "$DIR/ca.crt" -noout -checkend "$RENEW_BEFORE_SECONDS" >/dev/null 2>&1; then
  openssl req -x509 -new "${curve[@]}" -keyout "$DIR/ca.key" -out "$DIR/ca.crt" -days "$((DAYS * 2))" \
    -subj "/CN=shop-saga development CA" \
    -addext "basicConstraints=critical,CA:TRUE,pathlen:0" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
  chmod 644 "$DIR/ca.crt"
  echo "pki: new development CA in $DIR"
fi

for name in "${NAMES[@]}"; do
  crt="$DIR/$name.crt" key="$DIR/$name.key"
  if [[ -s "$crt" && -s "$key" ]] &&
    openssl verify -CAfile "$DIR/ca.crt" "$crt" >/dev/null 2>&1 &&
    openssl x509 -in "$crt" -noout -checkend "$RENEW_BEFORE_SECONDS" >/dev/null 2>&1; then
    continue
  fi
  openssl req -x509 -new "${curve[@]}" -keyout "$key" -out "$crt" -days "$DAYS" \
    -CA "$DIR/ca.crt" -CAkey "$DIR/ca.key" -subj "/CN=$name" \
    -addext "subjectAltName=DNS:$name,DNS:localhost,IP:127.0.0.1" \
    -addext "basicConstraints=critical,CA:FALSE" \
    -addext "keyUsage=critical,digitalSignature" \
    -addext "extendedKeyUsage=serverAuth,clientAuth" 2>/dev/null
  chmod 644 "$crt" "$key"
  echo "pki: certificate of $name in $DIR"
done
