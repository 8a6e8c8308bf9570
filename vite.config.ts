import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'vite';

// The renderer: built into dist/renderer, which `bgw serve` (and the Electron shell, through it) serves.
export default defineConfig({
  root: 'src-renderer',
  base: './',
  plugins: [svelte()],
  build: {
    outDir: '../dist/renderer',
    emptyOutDir: true,
    sourcemap: true,
    chunkSizeWarningLimit: 1500,
    rolldownOptions: {
      // 3Dmol.js evaluates user callbacks with a direct eval; it is their code, not ours, and we pass none.
      onwarn(warning, warn) {
        if (warning.code === 'EVAL' && warning.id?.includes('/3dmol/')) return;
        warn(warning);
      },
    },
  },
});
