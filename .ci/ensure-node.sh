#!/usr/bin/env bash
# Makes sure Node.js >= 20.12 and npm are on PATH for the real-IdP tests
# (oidc-provider 9 needs Node 20.12). Installs Debian's packages when node or
# npm is missing and apt-get is usable; says what is wrong otherwise.
set -euo pipefail

node_ok() {
	command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 &&
		node -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>20||(a===20&&b>=12)?0:1)'
}

if node_ok; then
	exit 0
fi
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
	if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
		echo "ensure-node: installing nodejs and npm with apt-get" >&2
		apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
	fi
fi
if node_ok; then
	exit 0
fi
echo "ensure-node: the real-IdP tests need Node.js >= 20.12 and npm on PATH (found: $(node --version 2>/dev/null || echo none))" >&2
exit 1
