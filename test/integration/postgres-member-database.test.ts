import { expect } from 'chai';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { endPool } from '../../federation/postgres/end-pool.ts';
import { migratedChainStore, openMemberDatabase } from '../../federation/postgres/member-database.ts';
import { StoppedWhileStartingError } from '../../federation/member/stop-request.ts';
import { claimMemberDatabase, MEMBER_LOCK_KEY } from '../../federation/postgres/database-claim.ts';
import { InUseError } from '../../federation/pid-lock.ts';
import { postmasterPid } from '../../federation/postgres/stale-server.ts';
import { currentDatabase, freshDatabase } from '../helpers/postgres.ts';
import { eventually } from '../helpers/local-network.ts';
import { runCli } from '../helpers/cli.ts';
import { ChainStore } from '../../sidechain/store/chain-store.ts';
import { appliedSchemaVersion, loadMigrations, runMigrations } from '../../sidechain/store/migrate.ts';

const MIGRATIONS = loadMigrations(fileURLToPath(new URL('../../sidechain/store/migrations', import.meta.url)));

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

  it("connects a member to its embedded server over the server's Unix-domain socket, not TCP", async () => {
    const dataDir = join(tmpdir(), `strongbox-member-${process.pid}-${randomBytes(3).toString('hex')}`);
    mkdirSync(dataDir, { mode: 0o755 });
    try {
      const opened = await openMemberDatabase({ dataDir, memberIndex: 0 });
      const pool = new pg.Pool({ connectionString: opened.url });
      try {
        // A client over TCP has an address; over the socket it has none.
        const { rows } = await pool.query<{ address: string | null }>('SELECT inet_client_addr() AS address');
        expect(rows[0]!.address).to.equal(null);
      } finally {
        await endPool(pool);
        await opened.stop();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  describe('asked to stop while it starts (Ctrl-C)', () => {
    it('stops the embedded server it was starting and leaves none running, whether asked before the server runs or while it starts', async () => {
      const dataDir = join(tmpdir(), `strongbox-member-${process.pid}-${randomBytes(3).toString('hex')}`);
      mkdirSync(dataDir, { mode: 0o755 });
      const cluster = join(dataDir, 'postgres', 'cluster');
      try {
        const before = new AbortController();
        before.abort();
        let refusal = await openMemberDatabase({ dataDir, memberIndex: 1 }, before.signal).then(() => undefined, (error: unknown) => error);
        expect(refusal).to.be.instanceOf(StoppedWhileStartingError);
        expect(postmasterPid(cluster), 'no server left running').to.equal(undefined);
        // Asked once the server process exists: it is stopped again, ready or not.
        const during = new AbortController();
        const asking = setInterval(() => {
          if (existsSync(join(cluster, 'postmaster.pid'))) during.abort();
        }, 1);
        refusal = await openMemberDatabase({ dataDir, memberIndex: 1 }, during.signal).then(() => undefined, (error: unknown) => error).finally(() => clearInterval(asking));
        expect(refusal).to.be.instanceOf(StoppedWhileStartingError);
        expect(postmasterPid(cluster), 'no server left running').to.equal(undefined);
        const opened = await openMemberDatabase({ dataDir, memberIndex: 1 });
        expect(await currentDatabase(opened.url), 'the cluster starts again').to.equal('member_1');
        await opened.stop();
      } finally {
        rmSync(dataDir, { recursive: true, force: true });
      }
    });

    it('stops between migrations, applying no more of them, and brings the schema up to date at the next start', async () => {
      const db = await freshDatabase('stopped_migrations');
      try {
        const stop = new AbortController();
        stop.abort();
        const refusal = await migratedChainStore(db.pool, stop.signal).then(() => undefined, (error: unknown) => error);
        expect(refusal).to.be.instanceOf(StoppedWhileStartingError);
        expect(await appliedSchemaVersion(db.pool)).to.equal(0);
        await migratedChainStore(db.pool);
        expect(await appliedSchemaVersion(db.pool)).to.equal(MIGRATIONS.at(-1)!.version);
      } finally {
        await db.drop();
      }
    });
  });

  describe('reached by an operator command (role grant and list) through a member config without databaseUrl', () => {
    /** A member config as OPERATOR.md writes it: no databaseUrl, so the member runs an embedded server under dataDir. */
    function memberConfig(folder: string): string {
      const file = join(folder, 'member.json');
      const config = {
        memberIndex: 2, keyFile: 'key.json', genesisFile: 'genesis.json', dataDir: 'member',
        bitcoin: { rpcUrl: 'http://user:password@127.0.0.1:18443' }, api: { port: 8202 }, peer: { port: 9202 }, peers: [],
      };
      writeFileSync(file, JSON.stringify(config));
      return file;
    }

    it("uses the running member's embedded server, and with the member stopped starts that cluster for the command and stops it again", async () => {
      const folder = join(tmpdir(), `strongbox-operator-${process.pid}-${randomBytes(3).toString('hex')}`);
      mkdirSync(folder, { mode: 0o755 });
      const dataDir = join(folder, 'member');
      try {
        const config = memberConfig(folder);
        const member = await openMemberDatabase({ dataDir, memberIndex: 2 });
        let id: string;
        try {
          const granted = await runCli(['role', 'grant', '--role', 'auditor', '--name', 'Audit & Co', '--config', config, '--json']);
          expect(granted.code, granted.stderr).to.equal(0);
          id = (JSON.parse(granted.stdout) as { id: string }).id;
          // Written where the member reads: its own database on its own server.
          const client = new pg.Client({ connectionString: member.url });
          await client.connect();
          try {
            expect((await client.query<{ id: string }>('SELECT id FROM role_credentials')).rows.map((row) => row.id)).to.deep.equal([id]);
          } finally {
            await client.end();
          }
        } finally {
          await member.stop();
        }
        const listed = await runCli(['role', 'list', '--config', config, '--json']);
        expect(listed.code, listed.stderr).to.equal(0);
        expect((JSON.parse(listed.stdout) as { credentials: { id: string }[] }).credentials.map((c) => c.id)).to.deep.equal([id]);
        expect(postmasterPid(join(dataDir, 'postgres', 'cluster'))).to.equal(undefined);
      } finally {
        rmSync(folder, { recursive: true, force: true });
      }
    });

    it('refuses, in one line naming dataDir, a folder that holds no member cluster, and creates none', async () => {
      const folder = join(tmpdir(), `strongbox-operator-${process.pid}-${randomBytes(3).toString('hex')}`);
      mkdirSync(folder, { mode: 0o755 });
      try {
        const refused = await runCli(['role', 'list', '--config', memberConfig(folder)]);
        expect(refused.code).to.equal(1);
        expect(refused.stderr).to.match(/^strongbox: dataDir: \S+ holds no member database \(no cluster in \S+\): set dataDir to the member's folder, or databaseUrl \(DATABASE_URL\) to its server\n$/);
        expect(existsSync(join(folder, 'member'))).to.equal(false);
      } finally {
        rmSync(folder, { recursive: true, force: true });
      }
    });
  });

  describe('reached by an operator command while the member may run an older release', () => {
    it("leaves a database at an older schema version as it is and says to upgrade and start the member first; once the member has, the command runs", async () => {
      const folder = join(tmpdir(), `strongbox-operator-${process.pid}-${randomBytes(3).toString('hex')}`);
      mkdirSync(folder, { mode: 0o755 });
      const db = await freshDatabase('older_schema');
      try {
        // The schema of the release of 2026-12-05, whose members do not write the tables added since.
        await runMigrations(db.pool, MIGRATIONS.filter((migration) => migration.version <= 7));
        const config = join(folder, 'member.json');
        writeFileSync(config, JSON.stringify({
          memberIndex: 2, keyFile: 'key.json', genesisFile: 'genesis.json', dataDir: 'member',
          bitcoin: { rpcUrl: 'http://user:password@127.0.0.1:18443' }, api: { port: 8202 }, peer: { port: 9202 }, peers: [],
        }));
        const grant = () => runCli(['role', 'grant', '--role', 'auditor', '--name', 'Audit & Co', '--config', config, '--json'], { env: { DATABASE_URL: db.url } });
        const newest = MIGRATIONS.at(-1)!.version;
        expect(await grant()).to.deep.equal({
          code: 1,
          stdout: '',
          stderr: `strongbox: the member's database is at schema version 7, older than this command's (${newest}): the member runs an older release of Strongbox; upgrade the member and start it, which brings its database up to date, then run this command again (OPERATOR.md, "Upgrading")\n`,
        });
        expect(await appliedSchemaVersion(db.pool)).to.equal(7);
        expect((await db.pool.query('SELECT id FROM role_credentials')).rows).to.deep.equal([]);

        // What the upgraded member does at its start.
        await new ChainStore(db.pool).migrate();
        const granted = await grant();
        expect(granted.code, granted.stderr).to.equal(0);
        expect((await db.pool.query<{ id: string }>('SELECT id FROM role_credentials')).rows.map((row) => row.id)).to.deep.equal([(JSON.parse(granted.stdout) as { id: string }).id]);
      } finally {
        await db.drop();
        rmSync(folder, { recursive: true, force: true });
      }
    });
  });

  describe('claimed by one member process at a time', () => {
    // A claim expected to be granted may still meet a holder closing its connection, so it is given
    // a member's default wait, which ends at the grant; one expected to be refused is refused after a
    // short wait, as the refusal is what is checked, not the wait's length.
    const grantedWithinMs = 5_000;
    const refusedAfterMs = 200;
    const holderLine = /^databaseUrl: the member's database is in use by strongbox member 1 \(pid \d+ on \S+\), connected over the server's Unix-domain socket \(server process \d+\): two member processes on one database would both sign from its consensus log; stop that one first$/;

    it('refuses a second claim naming the process that holds it, and grants it once that one has let go', async () => {
      const db = await freshDatabase('claimed');
      try {
        const first = await claimMemberDatabase(db.url, 1, grantedWithinMs);
        const refused = await claimMemberDatabase(db.url, 1, refusedAfterMs).then(() => null, (error: unknown) => error);
        expect(refused).to.be.instanceOf(InUseError);
        expect((refused as Error).message).to.match(holderLine);
        // Another member's database on the same server is not held by it.
        const other = await freshDatabase('unclaimed');
        try {
          await (await claimMemberDatabase(other.url, 1, grantedWithinMs)).release();
        } finally {
          await other.drop();
        }
        await first.release();
        await (await claimMemberDatabase(db.url, 1, grantedWithinMs)).release();
      } finally {
        await db.drop();
      }
    });

    it('gives up asking for a database another process holds once a stop is asked, however long it was to wait', async () => {
      const db = await freshDatabase('claim_stopped');
      try {
        const first = await claimMemberDatabase(db.url, 1, grantedWithinMs);
        const stop = new AbortController();
        // The longest wait a config allows; the stop, not the wait, ends it.
        const waiting = claimMemberDatabase(db.url, 1, 600_000, stop.signal).then(() => null, (error: unknown) => error);
        setTimeout(() => stop.abort(), 1_500);
        expect(await waiting).to.be.instanceOf(StoppedWhileStartingError);
        await first.release();
      } finally {
        await db.drop();
      }
    });

    it("says that a config names another member's database when that member's process holds it, rather than to stop it", async () => {
      const db = await freshDatabase('claimed_by_other');
      try {
        const first = await claimMemberDatabase(db.url, 1, grantedWithinMs);
        const refused = await claimMemberDatabase(db.url, 4, refusedAfterMs).then(() => null, (error: unknown) => error);
        expect(refused).to.be.instanceOf(InUseError);
        expect((refused as Error).message).to.match(
          /^databaseUrl: the member's database is in use by strongbox member 1 \(pid \d+ on \S+\), connected over the server's Unix-domain socket \(server process \d+\), not by member 4: one of the two configs names the other member's database; give each member its own \(databaseUrl, DATABASE_URL or dataDir\)$/,
        );
        await first.release();
      } finally {
        await db.drop();
      }
    });

    it('claims the database again after its connection is cut, and says it is lost when another process took it meanwhile', async () => {
      const db = await freshDatabase('reclaimed');
      const intruder = new pg.Client({ connectionString: db.url, application_name: 'intruder' });
      await intruder.connect();
      const holders = `FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE 'strongbox member%'`;
      try {
        const member = await claimMemberDatabase(db.url, 1, grantedWithinMs);
        await intruder.query(`SELECT pg_terminate_backend(pid, 10000) ${holders}`);
        await eventually('the member holding its database again', async () => {
          const { rows } = await intruder.query(`SELECT 1 FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted AND a.application_name LIKE 'strongbox member%'`);
          return rows.length === 1;
        });
        const refused = await claimMemberDatabase(db.url, 1, refusedAfterMs).then(() => null, (error: unknown) => error);
        expect((refused as Error).message).to.match(holderLine);
        // Cut again, and another session takes the lock the moment the member's connection has let it go.
        const { rows } = await intruder.query<{ pid: number }>(`SELECT pid ${holders}`);
        await intruder.query('SELECT pg_terminate_backend($1, 10000)', [rows[0]!.pid]);
        await intruder.query('SELECT pg_advisory_lock($1)', [MEMBER_LOCK_KEY.toString()]);
        const lost = await member.lost;
        expect(lost).to.be.instanceOf(InUseError);
        expect(lost.message).to.match(/^databaseUrl: the member's database is in use by intruder, connected over the server's Unix-domain socket \(server process \d+\): two member processes on one database would both sign from its consensus log; stop that one first$/);
        await member.release();
      } finally {
        await intruder.end();
        await db.drop();
      }
    });
  });
});
