#!/usr/bin/env node
// Entry point for `bgw`: the sources are TypeScript, run through tsx's loader (no build step).
import { register } from 'tsx/esm/api';

register();
await import('../src-main/cli.ts');
