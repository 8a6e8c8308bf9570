// Worker threads cannot take a .ts entry (docs/architecture.md, "No build step"): register tsx's loader, then import.
import { register } from 'tsx/esm/api';

register();
await import('./export-inputs-thread.ts');
