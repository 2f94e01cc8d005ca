#!/usr/bin/env bash
# Writes docs/config.md, the config reference, from the schema (fleet config-reference).
# FleetConfigTests' ConfigReferenceTests fails when the file and the schema differ.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build --product fleet >/dev/null
.build/debug/fleet config-reference > docs/config.md
echo "wrote docs/config.md"
