// watchdog.cjs is preloaded (node --require) into cognito-local by the Go
// package internal/idp: the process exits when its stdin closes or on
// SIGTERM, so it never outlives the test process that started it, and it
// then removes its run directory (JWTGATE_IDP_RUNDIR, a temporary directory
// the harness made for it), even when that test process died in a panic.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

function exit() {
  const dir = process.env.JWTGATE_IDP_RUNDIR;
  if (dir && path.basename(dir).startsWith('jwtgate-')) {
    try {
      fs.rmSync(dir, { recursive: true, force: true });
    } catch {
      // the harness removes it too
    }
  }
  process.exit(0);
}

process.stdin.resume();
process.stdin.on('end', exit);
process.stdin.on('error', exit);
process.on('SIGTERM', exit);
// Once the parent is gone, writing to stdout fails (EPIPE): exit the same way.
process.stdout.on('error', exit);
process.stderr.on('error', exit);
