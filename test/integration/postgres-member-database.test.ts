import { expect } from 'chai';
import { mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openMemberDatabase } from '../../federation/postgres/member-database.ts';
import { postmasterPid } from '../../federation/postgres/stale-server.ts';
import { freshDatabase } from '../helpers/postgres.ts';

async function currentDatabase(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<{ name: string }>('SELECT current_database() AS name')).rows[0]!.name;
  } finally {
    await client.end();
  }
}

describe('a member database', function () {
  this.timeout(60_000);

  it('uses DATABASE_URL as given and starts no server', async () => {
    const db = await freshDatabase('external');
    const dataDir = join(tmpdir(), `strongbox-member-${randomBytes(3).toString('hex')}`);
    try {
      const opened = await openMemberDatabase({ databaseUrl: db.url, dataDir, memberIndex: 1 });
      expect(opened.url).to.equal(db.url);
      expect(await currentDatabase(opened.url)).to.equal(db.name);
      await opened.stop();
      expect(await currentDatabase(db.url)).to.equal(db.name);
    } finally {
      await db.drop();
    }
  });

  it('without DATABASE_URL runs an embedded server in the data dir with database member_<index>, reused after a restart', async () => {
    const dataDir = join(tmpdir(), `strongbox-member-${process.pid}-${randomBytes(3).toString('hex')}`);
    mkdirSync(dataDir, { mode: 0o755 });
    try {
      const first = await openMemberDatabase({ dataDir, memberIndex: 2 });
      expect(await currentDatabase(first.url)).to.equal('member_2');
      await first.stop();
      expect(postmasterPid(join(dataDir, 'postgres', 'cluster'))).to.equal(undefined);
      const second = await openMemberDatabase({ dataDir, memberIndex: 2 });
      try {
        expect(second.url).to.equal(first.url.replace(/:\d+\//, `:${new URL(second.url).port}/`));
        expect(await currentDatabase(second.url)).to.equal('member_2');
      } finally {
        await second.stop();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
