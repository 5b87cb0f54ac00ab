#!/usr/bin/env bash
# Installs what `make test` drives besides Go: the mail clients and peers
# the end-to-end tests run (swaks, python3, Postfix's smtp-source and
# smtp-sink), the OpenSSH client, gcc for -race, and CA certificates for
# the Go module proxy. On Debian it installs the missing ones with
# apt-get, as root or through password-less sudo; anywhere else it says
# in one line what to install and fails, so that no test is skipped
# silently.
#
# Usage: scripts/deps.sh [--check]   (--check: only say what is missing)
set -euo pipefail

# command → Debian package
declare -A pkg=(
	[swaks]=swaks
	[python3]=python3
	[smtp-source]=postfix
	[smtp-sink]=postfix
	[ssh]=openssh-client
	[ssh-keygen]=openssh-client
	[gcc]=gcc
	[git]=git
	[xmllint]=libxml2-utils
)

missing=()
for cmd in "${!pkg[@]}"; do
	# Postfix's tools live in /usr/sbin, which a non-root PATH may lack.
	if ! command -v "$cmd" >/dev/null 2>&1 && [ ! -x "/usr/sbin/$cmd" ]; then
		missing+=("${pkg[$cmd]}")
	fi
done
# -race links against the C library's headers (libc6-dev), and the module
# proxy is reached over HTTPS.
[ -e /usr/include/stdio.h ] || missing+=(libc6-dev)
[ -e /etc/ssl/certs/ca-certificates.crt ] || missing+=(ca-certificates)
# The DKIM end-to-end test verifies seg's signatures with dkimpy, Debian's
# python3-dkim, under the system's Python.
/usr/bin/python3 -c 'import dkim' >/dev/null 2>&1 || missing+=(python3-dkim)

if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi
pkgs=$(printf '%s\n' "${missing[@]}" | sort -u | tr '\n' ' ')
pkgs=${pkgs% }
hint="apt-get install -y --no-install-recommends $pkgs"

if [ "${1:-}" = "--check" ] || ! command -v apt-get >/dev/null 2>&1; then
	echo "make test needs: $pkgs (Debian: $hint)" >&2
	exit 1
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
		sudo="sudo -n"
	else
		echo "make test needs: $pkgs; run as root: $hint" >&2
		exit 1
	fi
fi

echo "installing what the tests drive: $pkgs"
export DEBIAN_FRONTEND=noninteractive
# postfix asks how to configure itself; the tests run their own instances
# (smtp-sink and smtp-source only), so the system's stays unconfigured.
echo "postfix postfix/main_mailer_type select No configuration" | $sudo debconf-set-selections
echo "postfix postfix/mailname string seg-test.localdomain" | $sudo debconf-set-selections
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends $pkgs
