#!/usr/bin/env bash
# Install the Debian packages the test suite drives for real (Postfix, Dovecot, slapd, named,
# Chromium) plus the headers python-ldap builds against. Idempotent; fast when all are present.
#
# Usage: scripts/install-test-deps.sh [--check]
#   --check   only report what is missing (exit 1 if anything is)
# As root it installs what is missing, non-interactively, without starting the system daemons.
# Not as root it prints the `sudo apt-get install ...` command; with CI=true that is an error,
# otherwise the peer tests skip themselves.
set -euo pipefail

# --no-install-recommends keeps the mail stack small; chromium is installed with its recommends
# (fonts, mesa), the combination known to render pages headless here.
BASE_PKGS=(
    postfix postfix-sqlite postfix-pgsql postfix-mysql
    dovecot-core dovecot-imapd dovecot-lmtpd dovecot-sqlite dovecot-pgsql dovecot-mysql
    dovecot-sieve dovecot-managesieved dovecot-ldap
    slapd ldap-utils
    bind9
    opendkim opendkim-tools
    sqlite3
    libldap2-dev libsasl2-dev
)
BROWSER_PKGS=(chromium)

check_only=0
[[ ${1:-} == --check ]] && check_only=1

missing_from() {
    local p
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || echo "$p"
    done
}

mapfile -t missing_base < <(missing_from "${BASE_PKGS[@]}")
mapfile -t missing_browser < <(missing_from "${BROWSER_PKGS[@]}")
missing=("${missing_base[@]}" "${missing_browser[@]}")

if [[ ${#missing[@]} -eq 0 ]]; then
    exit 0
fi
if [[ $check_only == 1 ]]; then
    echo "missing Debian packages: ${missing[*]}"
    exit 1
fi
if [[ $(id -u) -ne 0 ]]; then
    echo "install-test-deps: missing Debian packages; run:" >&2
    echo "  sudo apt-get install -y ${missing[*]}" >&2
    if [[ ${CI:-} == true ]]; then
        exit 1
    fi
    echo "install-test-deps: continuing; tests needing them will be skipped" >&2
    exit 0
fi

export DEBIAN_FRONTEND=noninteractive
# Keep the system postfix/dovecot/slapd/named stopped: invoke-rc.d asks policy-rc.d, and 101
# means "action forbidden". Only add (and later remove) our own if the machine has none.
policy=/usr/sbin/policy-rc.d
if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' > "$policy"
    chmod 755 "$policy"
    trap 'rm -f "$policy"' EXIT
fi
# "No configuration" leaves /etc/postfix/main.cf absent: the tests bring private config dirs.
debconf-set-selections <<'SEL'
postfix postfix/main_mailer_type select No configuration
postfix postfix/mailname string localhost
slapd slapd/no_configuration boolean true
SEL

start=$(date +%s)
apt_opts=(-y -q -o DPkg::Lock::Timeout=300)
apt-get update -q
if [[ ${#missing_base[@]} -gt 0 ]]; then
    apt-get install "${apt_opts[@]}" --no-install-recommends "${missing_base[@]}"
fi
if [[ ${#missing_browser[@]} -gt 0 ]]; then
    apt-get install "${apt_opts[@]}" "${missing_browser[@]}"
fi
echo "install-test-deps: installed ${missing[*]} in $(( $(date +%s) - start )) s" >&2
