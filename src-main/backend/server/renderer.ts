import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

/** Where `vite build` puts the renderer (vite.config.ts). */
export const RENDERER_DIR = fileURLToPath(new URL('../../../dist/renderer', import.meta.url));

/**
 * Serve the built renderer at `/` (the page then calls the API with the token from its URL), or,
 * where it was not built, a one-line page saying how to build it. `also` registers the other
 * extra routes in the same plugin scope.
 */
export async function registerRenderer(app: FastifyInstance, also: () => void): Promise<void> {
  also();
  if (existsSync(RENDERER_DIR)) {
    await app.register(fastifyStatic, { root: RENDERER_DIR, prefix: '/', index: ['index.html'] });
  } else {
    app.get('/', async (_req, reply) => reply.type('text/plain; charset=utf-8').send('The workbench UI is not built: run `npm run build` (or `npm run serve`), then reload.\n'));
  }
}
