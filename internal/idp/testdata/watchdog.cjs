// watchdog.cjs is preloaded (node --require) into cognito-local by the Go
// package internal/idp: the process exits when its stdin closes, so it never
// outlives the test process that started it.
'use strict';
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));
