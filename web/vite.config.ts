import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

export default defineConfig({
  plugins: [react()],
  build: {
    outDir: '../src/TaskHub.Server/wwwroot',
    emptyOutDir: true,
    // Stable file names: the server's build (an MSBuild target) rebuilds this folder after MSBuild listed its
    // files, so a hashed name that vanished would break that build. Browsers revalidate them instead (the
    // server sends them with Cache-Control: no-cache and an ETag).
    rollupOptions: {
      output: {
        entryFileNames: 'assets/[name].js', chunkFileNames: 'assets/[name].js', assetFileNames: 'assets/[name][extname]',
        // The realtime client (SignalR and its MessagePack protocol) in a chunk of its own, loaded beside the app's.
        manualChunks: { signalr: ['@microsoft/signalr', '@microsoft/signalr-protocol-msgpack'] },
      },
    },
  },
  server: {
    proxy: {
      '/api': 'http://127.0.0.1:5190',
      '/hubs': { target: 'http://127.0.0.1:5190', ws: true },
    },
  },
  test: { environment: 'node', include: ['src/**/*.test.ts'] },
} as any);
