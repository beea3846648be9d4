#!/usr/bin/env node
// Runs on `npm install` / `npm ci` (the `prepare` script), so a fresh clone serves its dashboard after
// `npm install && npm start`. An install without dev dependencies (--omit=dev) has no Vite: the server then
// answers /dashboard with a 503 naming the command to run, and the install itself still succeeds.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
try {
  require.resolve('vite/package.json');
} catch {
  console.log('hookyard: Vite is not installed (dev dependencies omitted); skipping the dashboard build.');
  process.exit(0);
}
const npm = process.env.npm_execpath;
const result = npm
  ? spawnSync(process.execPath, [npm, 'run', '--silent', 'build:dashboard'], { stdio: 'inherit' })
  : spawnSync('npm', ['run', '--silent', 'build:dashboard'], { stdio: 'inherit', shell: process.platform === 'win32' });
process.exit(result.status ?? 1);
