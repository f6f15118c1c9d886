import { expect } from 'chai';
import pg from 'pg';
import { endPool } from '../../federation/postgres/end-pool.ts';
import { withPooledClient } from '../../sidechain/store/pooled-client.ts';
import { freshDatabase, type TestDatabase } from '../helpers/postgres.ts';

/** Blocks this process's event loop for `ms`, as a machine under heavy load deschedules it. */
const stall = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

describe('a client taken from the pool while Postgres ends its session', function () {
  this.timeout(120_000);
  let db: TestDatabase;
  after(async () => db?.drop());

  /**
   * A server shutting down (a restart) ends a session that has just been set up: its last
   * handshake message and the FATAL that ends it can reach a busy member in one read. The pool
   * hands the client over between the two, and a client nobody listens to then raised the FATAL
   * as an unheard 'error' event, which ends the process. Here the server ends every session
   * 1 ms after it is ready (idle_session_timeout, SQLSTATE 57P05) while the event loop is stalled,
   * so that both messages wait in the socket together, connection after connection.
   */
  it('fails that piece of work, never the process, and the next one gets a new connection', async () => {
    db = await freshDatabase('pooled_client_errors');
    const ending = new pg.Pool({ connectionString: db.url, max: 1, options: '-c idle_session_timeout=1' });
    // A connection that goes back to the pool idle is ended too; the pool drops it and says so here.
    ending.on('error', () => undefined);
    const stalls = setInterval(() => stall(5), 1);
    const outcomes: string[] = [];
    try {
      for (let attempt = 0; attempt < 5; attempt++) {
        outcomes.push(
          await withPooledClient(ending, (client) => client.query('SELECT 1')).then(
            () => 'done',
            (error: Error) => error.message,
          ),
        );
      }
    } finally {
      clearInterval(stalls);
      await endPool(ending);
    }
    expect(outcomes, 'the work of sessions ended as they were handed over').to.include('terminating connection due to idle-session timeout');
    const { rows } = await withPooledClient(db.pool, (client) => client.query<{ one: number }>('SELECT 1 AS one'));
    expect(rows).to.deep.equal([{ one: 1 }]);
  });
});
