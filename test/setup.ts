import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// tfjs-core's Node bundle does not register op gradients; the umbrella package does (see
// engine/compute/select.ts). Every test file gets them, whichever backend it selects.
import '@tensorflow/tfjs';

// Tests (and the `bgw` processes they spawn, which inherit the environment) never touch the
// user's own database: each test file gets a fresh one unless it names its own with --db.
process.env.BGW_DB = join(mkdtempSync(join(tmpdir(), 'bgw-test-db-')), 'workbench.db');
