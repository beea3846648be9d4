import { parseArgs } from 'node:util';
import { ConfigError, loadConfig, type Config } from '../config/config.js';
import { createLogger } from '../core/logger.js';
import { resolveMainKey } from '../core/main-key.js';
import { SecretBox } from '../core/secret-box.js';
import { openStore } from '../store/open-store.js';
import { startHookyard } from '../runtime.js';
import { pruneExpiredData } from '../retention/pruner.js';

const usage = `Usage: hookyard <command> [options]

Commands:
  start      Start the API and delivery workers
  migrate    Apply database migrations and exit
  prune      Prune expired payloads, response bodies and inbound bodies now, print what was pruned, and exit

Options:
  --config <file>   JSON config file (settings named as in docs/configuration.md)
  --role <role>     api | worker | all (start only; default all)
  -h, --help        Show this help
`;

function fail(message: string, code = 2): never {
  process.stderr.write(`hookyard: ${message}\n`);
  process.exit(code);
}

function readConfig(values: { config?: string; role?: string }): Config {
  try {
    const env = values.role ? { ...process.env, HOOKYARD_ROLE: values.role } : process.env;
    return loadConfig(env, { configFile: values.config });
  } catch (error) {
    if (error instanceof ConfigError) fail(`invalid configuration: ${error.message}`);
    throw error;
  }
}

async function start(config: Config): Promise<void> {
  const running = await startHookyard(config).catch((error: unknown) => {
    // Settings that start-up checks itself (the operator URL against the SSRF guard) fail like the others.
    if (error instanceof ConfigError) fail(`invalid configuration: ${error.message}`);
    throw error;
  });
  const lines = [`Hookyard listening on ${running.url}`];
  lines.push(running.dataFile ? `Data file: ${running.dataFile}` : 'Store: PostgreSQL');
  if (running.generatedAdminToken) {
    lines.push('', 'Admin API token (shown once; it is stored hashed and cannot be shown again):', `  ${running.generatedAdminToken}`, '');
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    running.logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), 30_000);
    force.unref();
    running.close().then(
      () => process.exit(0),
      (error) => {
        running.logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

function openConfiguredStore(config: Config) {
  return openStore({
    dataDir: config.dataDir,
    databaseUrl: config.databaseUrl,
    sqliteSynchronous: config.sqliteSynchronous,
    secretBox: new SecretBox(resolveMainKey(config.mainKey, config.dataDir).key),
  });
}

async function migrate(config: Config): Promise<void> {
  const logger = createLogger(config.logLevel);
  const store = await openConfiguredStore(config);
  try {
    await store.migrate();
    logger.info('migrations applied');
  } finally {
    await store.close();
  }
}

/** Runs what worker processes run periodically, once, with the store's own clock. */
async function prune(config: Config): Promise<void> {
  const store = await openConfiguredStore(config);
  try {
    await store.migrate();
    const report = await pruneExpiredData(store, config, { now: Date.now });
    const width = Math.max(...Object.keys(report).map((target) => target.length));
    const lines = Object.entries(report).map(([target, count]) => `  ${target.replaceAll('_', ' ').padEnd(width)}  ${count}`);
    if (config.metadataRetentionDays === 0) lines.push('  (messages and inbound events are kept: HOOKYARD_METADATA_RETENTION_DAYS is 0)');
    process.stdout.write(`Pruned:\n${lines.join('\n')}\n`);
  } finally {
    await store.close();
  }
}

export async function main(argv: string[]): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { config: { type: 'string' }, role: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (error) {
    fail(`${(error as Error).message}\n\n${usage}`);
  }
  const [command] = parsed.positionals;
  if (parsed.values.help || command === undefined) {
    process.stdout.write(usage);
    return;
  }
  switch (command) {
    case 'start':
      return start(readConfig(parsed.values));
    case 'migrate':
      return migrate(readConfig(parsed.values));
    case 'prune':
      return prune(readConfig(parsed.values));
    default:
      fail(`unknown command ${JSON.stringify(command)}\n\n${usage}`);
  }
}
