import { expect } from 'chai';
import { Writable } from 'node:stream';
import { createLogger } from '../../federation/observability/logger.ts';
import { logPoolErrors } from '../../federation/postgres/pool-errors.ts';
import { withDatabaseDown } from '../helpers/database-outage.ts';
import { eventually } from '../helpers/local-network.ts';
import { freshDatabase, sharedPostgres, type TestDatabase } from '../helpers/postgres.ts';

describe("a member's log when Postgres ends the connections of its pool", function () {
  this.timeout(60_000);
  let db: TestDatabase;
  after(async () => db?.drop());

  it('says so in one warning line per connection, with the SQLSTATE and the reason, and neither stack nor client', async () => {
    const server = await sharedPostgres();
    db = await freshDatabase('pool_errors');
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(...chunk.toString('utf8').split('\n').filter((line) => line !== ''));
        done();
      },
    });
    logPoolErrors(db.pool, createLogger({ name: 'member-0', destination }));
    // Three connections at once, left idle in the pool: an outage ends them under no query.
    await Promise.all([1, 2, 3].map(() => db.pool.query('SELECT pg_sleep(0.2)')));
    const idle = db.pool.idleCount;
    expect(idle).to.be.at.least(2);
    await withDatabaseDown(server, db.name, () => eventually('every idle connection reported', async () => lines.length === idle, 30_000));
    for (const line of lines) {
      expect(line.length, line).to.be.below(300);
      const entry = JSON.parse(line) as Record<string, unknown>;
      expect(entry).to.include({ level: 'warn', code: '57P01', reason: 'terminating connection due to administrator command', msg: 'postgres ended an idle connection of the pool; another is opened when needed' });
      expect(entry).to.not.have.any.keys('err', 'stack', 'client');
    }
    expect((await db.pool.query<{ one: number }>('SELECT 1 AS one')).rows, 'a new connection once the database is back').to.deep.equal([{ one: 1 }]);
  });
});
