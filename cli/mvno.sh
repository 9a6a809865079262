#!/bin/sh
# `mvno` on the PATH (npm link / npx): runs cli/mvno.ts with this package's TypeScript loader.
here=$(dirname "$(readlink -f "$0")")
exec node --import "$here/ts-loader.mjs" "$here/mvno.ts" "$@"
