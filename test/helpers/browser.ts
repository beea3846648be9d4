import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

/**
 * Debian's Chromium (installed by .ci/run), driven by playwright-core. Locally a missing Chromium skips the browser
 * suites with the reason printed; under CI=true it fails them, so CI can never pass by skipping.
 */
export const chromiumPath = process.env.HOOKYARD_TEST_CHROMIUM ?? '/usr/bin/chromium';

/**
 * Without the networking flags Chromium reaches out to Google's services at start, which a closed network refuses
 * many times over; --no-sandbox because CI runs as root.
 */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
];

const dashboardRoot = fileURLToPath(new URL('../../dashboard', import.meta.url));
const dashboardDist = join(dashboardRoot, 'dist');

export function skipUnlessChromium(): false | string {
  if (existsSync(chromiumPath)) return false;
  const reason = `Chromium not found at ${chromiumPath} (apt-get install chromium, or set HOOKYARD_TEST_CHROMIUM)`;
  if (process.env.CI === 'true') throw new Error(`CI requires Chromium: ${reason}`);
  console.log(`# skipping browser suite: ${reason}`);
  return reason;
}

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs);
  }
  return newest;
}

const builtIsCurrent = () => {
  const index = join(dashboardDist, 'index.html');
  return existsSync(index) && statSync(index).mtimeMs >= Math.max(newestSource(join(dashboardRoot, 'src')), statSync(join(dashboardRoot, 'index.html')).mtimeMs);
};

/**
 * `npm install` builds the dashboard; a checkout that skipped it, or whose dashboard sources changed since, is built
 * here, so the browser never tests a stale build. Test files run in parallel: one builds, the others wait for it.
 */
export function ensureDashboardBuilt(): void {
  if (builtIsCurrent()) return;
  const lock = join(tmpdir(), 'hookyard-dashboard-build.lock');
  // A build takes seconds; a lock older than this was left by a process that died.
  if (existsSync(lock) && Date.now() - statSync(lock).mtimeMs > 120_000) rmSync(lock, { recursive: true, force: true });
  try {
    mkdirSync(lock);
  } catch {
    const until = Date.now() + 120_000;
    while (existsSync(lock) && Date.now() < until) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
    if (builtIsCurrent()) return;
    throw new Error('the dashboard build run by another test process failed');
  }
  try {
    const result = spawnSync('npm', ['run', '--silent', 'build:dashboard'], { stdio: 'inherit', cwd: fileURLToPath(new URL('../..', import.meta.url)) });
    if (result.status !== 0) throw new Error('npm run build:dashboard failed');
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/** A fresh browser: playwright gives each launch a new, empty temporary profile (its --user-data-dir). */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath, headless: true, args: CHROMIUM_ARGS });
}

/**
 * A page that records what would otherwise pass unnoticed: uncaught errors and Content-Security-Policy refusals
 * (an inline script or style the policy blocked). Tests assert `problems` is empty at the end.
 */
export async function openPage(browser: Browser, options: { width?: number; height?: number } = {}): Promise<{ page: Page; problems: string[] }> {
  const context = await browser.newContext({ viewport: { width: options.width ?? 1280, height: options.height ?? 860 } });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (/Content Security Policy|Refused to/i.test(message.text())) problems.push(`CSP: ${message.text()}`);
  });
  return { page, problems };
}
