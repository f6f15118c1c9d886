import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lockNetworkFolder } from '../../federation/local-network/folder-lock.ts';

describe('one running local network per folder', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'strongbox-lock-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses a folder another living process runs a network from, naming it and the way out', () => {
    writeFileSync(join(dir, 'up.pid'), `${process.ppid}\n`);
    expect(() => lockNetworkFolder(dir)).to.throw(`--data-dir: a local network already runs from ${dir} (process ${process.ppid}): use it, stop it with Ctrl-C where it runs, or give another folder with --data-dir or STRONGBOX_HOME`);
    expect(readFileSync(join(dir, 'up.pid'), 'utf8')).to.equal(`${process.ppid}\n`);
  });

  it('refuses a folder whose network is stopping, telling to start again once its process has exited', () => {
    writeFileSync(join(dir, 'up.pid'), `${process.ppid}\n`);
    writeFileSync(join(dir, 'up.stopping'), `${process.ppid}\n`);
    expect(() => lockNetworkFolder(dir)).to.throw(`--data-dir: the local network in ${dir} is stopping (process ${process.ppid}): start it again once that process has exited`);
  });

  it('marks the folder it holds as stopping, and clears the mark with the lock', () => {
    const lock = lockNetworkFolder(dir);
    lock.hold();
    lock.markStopping();
    expect(readFileSync(join(dir, 'up.stopping'), 'utf8')).to.equal(`${process.pid}\n`);
    lock.release();
    expect(existsSync(join(dir, 'up.stopping'))).to.equal(false);
    expect(existsSync(join(dir, 'up.pid'))).to.equal(false);
  });

  it('marks nothing, and fails nothing, when the folder it holds was deleted under it', () => {
    const lock = lockNetworkFolder(dir);
    lock.hold();
    rmSync(dir, { recursive: true, force: true });
    lock.markStopping();
    lock.release();
    expect(existsSync(dir)).to.equal(false);
  });

  it('takes over a folder whose process died, holds it, and lets it go on release', () => {
    const dead = spawnSync('true').pid;
    writeFileSync(join(dir, 'up.pid'), `${dead}\n`);
    writeFileSync(join(dir, 'up.stopping'), `${dead}\n`);
    const lock = lockNetworkFolder(dir);
    lock.hold();
    expect(readFileSync(join(dir, 'up.pid'), 'utf8')).to.equal(`${process.pid}\n`);
    expect(existsSync(join(dir, 'up.stopping'))).to.equal(false);
    lock.release();
    expect(existsSync(join(dir, 'up.pid'))).to.equal(false);
  });

  it('leaves alone a pid file another process wrote after this one started', () => {
    const lock = lockNetworkFolder(dir);
    writeFileSync(join(dir, 'up.pid'), `${process.ppid}\n`);
    lock.release();
    expect(readFileSync(join(dir, 'up.pid'), 'utf8')).to.equal(`${process.ppid}\n`);
  });
});
