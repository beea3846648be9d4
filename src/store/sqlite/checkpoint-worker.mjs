// Runs SQLite WAL checkpoints on a connection of its own, in a worker thread, so that copying WAL pages into the
// database file and syncing it never stalls the event loop serving the API. Plain JavaScript: worker threads do not
// inherit the TypeScript loader.
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

const db = new Database(workerData.path);
db.pragma('busy_timeout = 5000');
// Checkpoints sync the WAL before copying and the database after, whatever the mode; NORMAL adds nothing else.
db.pragma('synchronous = NORMAL');

parentPort.on('message', (request) => {
  if (request === 'close') {
    db.close();
    parentPort.close();
    return;
  }
  try {
    const [result] = db.pragma('wal_checkpoint(PASSIVE)');
    parentPort.postMessage({ ok: true, frames: result.log, copied: result.checkpointed });
  } catch (error) {
    parentPort.postMessage({ ok: false, error: String(error && error.message ? error.message : error) });
  }
});
