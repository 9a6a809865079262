#!/bin/sh
# `mvno` on the PATH (npm link / npx): runs cli/mvno.ts with tsx from this package.
here=$(dirname "$(readlink -f "$0")")
exec "$here/../node_modules/.bin/tsx" "$here/mvno.ts" "$@"
