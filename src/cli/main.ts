import { parseArgs } from 'node:util';
import { ConfigError, loadConfig, type Config } from '../config/config.js';
import { createLogger } from '../core/logger.js';
import { forgetPreviousMainKeyFile, replaceMainKeyFile, resolveMainKey, type MainKeys } from '../core/main-key.js';
import { SecretBox } from '../core/secret-box.js';
import { openStore } from '../store/open-store.js';
import { startHookyard } from '../runtime.js';
import { UsageError, runKeyCommand } from './keys.js';
import { pruneExpiredData } from '../retention/pruner.js';

const usage = `Usage: hookyard <command> [options]

Commands:
  start      Start the API and delivery workers
  migrate    Apply database migrations and exit
  key        Create, list, revoke or rotate API keys (hookyard key --help)
  rotate-main-key [--generate]
             Reseal every stored secret with the current main key (see docs/security.md)
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

function openConfiguredStore(config: Config, keys: MainKeys = resolveMainKey(config.mainKey, config.dataDir, config.previousMainKeys)) {
  return openStore({
    dataDir: config.dataDir,
    databaseUrl: config.databaseUrl,
    sqliteSynchronous: config.sqliteSynchronous,
    secretBox: new SecretBox(keys.key, keys.previous),
  });
}

/**
 * `hookyard rotate-main-key`: reseals every stored secret with the current main key. With a configured key, set the
 * new one as HOOKYARD_MAIN_KEY and the old one in HOOKYARD_PREVIOUS_MAIN_KEYS (on every process) first; with the
 * data dir's key file, `--generate` makes the new key itself.
 */
async function rotateMainKeyCommand(config: Config, generate: boolean): Promise<void> {
  if (generate && config.mainKey) fail('--generate replaces the data dir key file; with HOOKYARD_MAIN_KEY set, set the new key there and the old one in HOOKYARD_PREVIOUS_MAIN_KEYS');
  const keys = generate ? replaceMainKeyFile(config.dataDir) : resolveMainKey(config.mainKey, config.dataDir, config.previousMainKeys);
  const store = await openConfiguredStore(config, keys);
  try {
    await store.migrate();
    const resealed = await store.resealSecrets();
    if (!config.mainKey) forgetPreviousMainKeyFile(config.dataDir);
    const lines = Object.entries(resealed).map(([kind, count]) => `  ${kind.padEnd(22)} ${count}`);
    process.stdout.write(`Resealed with the current main key:\n${lines.join('\n')}\n`);
    if (config.previousMainKeys.length > 0) process.stdout.write('Every secret is sealed with the current key: HOOKYARD_PREVIOUS_MAIN_KEYS can now be removed.\n');
  } finally {
    await store.close();
  }
}

async function migrate(config: Config): Promise<void> {
  const logger = createLogger(config.logLevel, undefined, config.logRedact);
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

/** `hookyard key …` has options of its own; it reads the configuration's --config like the other commands. */
async function keys(argv: string[]): Promise<void> {
  const configAt = argv.indexOf('--config');
  const config = readConfig({ config: configAt === -1 ? undefined : argv[configAt + 1] });
  const store = await openConfiguredStore(config);
  try {
    await store.migrate();
    await runKeyCommand(argv, store, (line) => process.stdout.write(`${line}\n`));
  } catch (error) {
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) fail((error as Error).message);
    throw error;
  } finally {
    await store.close();
  }
}

export async function main(argv: string[]): Promise<void> {
  if (argv[0] === 'key') return keys(argv.slice(1));
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { config: { type: 'string' }, role: { type: 'string' }, generate: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
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
    case 'rotate-main-key':
      return rotateMainKeyCommand(readConfig(parsed.values), parsed.values.generate === true);
    default:
      fail(`unknown command ${JSON.stringify(command)}\n\n${usage}`);
  }
}
