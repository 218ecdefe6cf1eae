#!/usr/bin/env node
// `npx factory` after `npm ci`: runs the committed, self-contained bundle (no build step needed).
import '../../../dist/cli/index.js';
