import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

export default defineConfig({
  plugins: [react()],
  build: { outDir: '../src/TaskHub.Server/wwwroot', emptyOutDir: true },
  server: {
    proxy: {
      '/api': 'http://127.0.0.1:5190',
      '/hubs': { target: 'http://127.0.0.1:5190', ws: true },
    },
  },
  test: { environment: 'node', include: ['src/**/*.test.ts'] },
} as any);
