// Worker threads cannot take a .ts entry (ENGINEERING-NOTES): register tsx's loader, then import.
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');
