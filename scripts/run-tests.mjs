#!/usr/bin/env node
// Node 20's test runner does not expand globs, so the test files are found here and handed over.
//
// Two passes: every suite once (the storage contract suites cover both adapters themselves, API and delivery
// suites run on SQLite), then the suites that start a server again on PostgreSQL + Redis. Locally the second pass
// is skipped, with the reason, when those services are absent; under CI=true their absence fails the run.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

function findTests(dir) {
  const found = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) found.push(...findTests(path));
    else if (name.endsWith('.test.ts')) found.push(path);
  }
  return found;
}

function run(files, env = {}) {
  const concurrency = process.env.HOOKYARD_TEST_CONCURRENCY ?? '3';
  const result = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...files],
    { stdio: 'inherit', env: { ...process.env, ...env } },
  );
  return result.status ?? 1;
}

/** Asks a tiny script whether PostgreSQL and Redis answer; prints why not. */
function clusterServicesMissing() {
  const probe = spawnSync(
    process.execPath,
    ['--import', 'tsx', '-e', "import('./test/helpers/services.ts').then(async (s) => { const r = (await s.postgresUnavailable()) ?? (await s.redisUnavailable()); console.log(r ?? ''); process.exit(0); })"],
    { encoding: 'utf8' },
  );
  if (probe.status !== 0) return `probe failed: ${probe.stderr}`;
  return probe.stdout.trim() || null;
}

const filters = process.argv.slice(2);
const files = findTests('test')
  .filter((file) => filters.length === 0 || filters.some((f) => file.includes(f)))
  .sort();
if (files.length === 0) {
  console.error('no test files matched', filters);
  process.exit(1);
}

const only = process.env.HOOKYARD_TEST_PASS; // 'sqlite' or 'postgres' runs one pass only
let status = only === 'postgres' ? 0 : run(files);

// Suites that start a server through the test helper pick their store from HOOKYARD_TEST_STORE.
const serverSuites = files.filter((file) => readFileSync(file, 'utf8').includes('startTestServer('));
if (only !== 'sqlite' && serverSuites.length > 0) {
  const missing = clusterServicesMissing();
  if (missing) {
    if (process.env.CI === 'true') {
      console.error(`# CI requires PostgreSQL and Redis for the second pass: ${missing}`);
      status = 1;
    } else console.log(`# skipping the PostgreSQL + Redis pass: ${missing}`);
  } else {
    console.log(`# second pass: ${serverSuites.length} suites on PostgreSQL + Redis`);
    status = run(serverSuites, { HOOKYARD_TEST_STORE: 'postgres' }) || status;
  }
}
process.exit(status);
