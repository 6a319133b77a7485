#!/usr/bin/env node
// The `switchboard` CLI: runs the compiled build (`npm run build`).
import('../dist/src/cli.js');
