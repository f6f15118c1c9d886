import { expect } from 'chai';
import fc from 'fast-check';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ENVIRONMENT, parseMemberConfig } from '../../federation/config.ts';
import { readGenesisFile } from '../../federation/genesis-file.ts';
import { generateMemberKeys, readKeyFile, writeKeyFile } from '../../federation/key-file.ts';
import { createWalletFile, readWalletFile } from '../../federation/wallet/wallet-file.ts';
import { StrongboxError } from '../../sidechain/errors.ts';
import { parseRpcUrl } from '../../watcher/rpc.ts';
import { initialFollowerState, applyFollowerEvent, followerTip } from '../../watcher/follower/machine.ts';
import { parseFollowerState, serializeFollowerState } from '../../watcher/follower/state-codec.ts';
import { readVectors, type GenesisVectors } from '../helpers/block-vectors.ts';
import { acceptOrRefuse, fuzz, fuzzRuns, hostileJson, hostileJsonText, hostileJsonValue } from '../helpers/fuzz.ts';

const RUNS = fuzzRuns(10_000);
const PASSWORD = 'pw-Zq81-never-shown';

describe(`fuzzing files and documents (${RUNS} cases each)`, function () {
  this.timeout(600_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'strongbox-fuzz-documents-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('a genesis file is refused with a typed error naming the field, or describes a federation that can sign safely', () => {
    const valid = readVectors<GenesisVectors>('genesis.json').valid.map((v) => v.file);
    const path = join(dir, 'genesis.json');
    fuzz(hostileJsonText(valid), RUNS, (text) => {
      writeFileSync(path, text);
      const genesis = acceptOrRefuse(() => readGenesisFile(path));
      if (!genesis) return;
      const n = genesis.members.keys.length;
      expect(3 * genesis.members.threshold > 2 * n && genesis.members.threshold <= n).to.equal(true);
      expect(new Set(genesis.file.members.map((m) => m.blockKey)).size).to.equal(n);
      expect(new Set(genesis.file.members.map((m) => m.pegKey)).size).to.equal(n);
    });
  });

  it('a member config and its environment variables are refused with a ConfigError naming the field, never showing a password', () => {
    const valid = {
      memberIndex: 0,
      keyFile: 'member-0/key.json',
      genesisFile: 'genesis.json',
      dataDir: 'member-0',
      databaseUrl: `postgres://postgres:${PASSWORD}@127.0.0.1:5432/member_0`,
      bitcoin: { rpcUrl: `http://strongbox:${PASSWORD}@127.0.0.1:18443` },
      api: { port: 8101 },
      peer: { port: 9101 },
      peers: [{ memberIndex: 1, url: 'ws://127.0.0.1:9102', apiUrl: 'http://127.0.0.1:8102' }],
    };
    const environment = fc.dictionary(fc.constantFrom(...Object.keys(ENVIRONMENT)), fc.oneof(fc.string({ maxLength: 40 }), hostileJsonValue.map((v) => JSON.stringify(v) ?? '')), { maxKeys: 3 });
    fuzz(fc.tuple(hostileJson([valid]), environment), RUNS, ([file, env]) => {
      try {
        parseMemberConfig(file, env);
      } catch (error) {
        expect(error).to.be.instanceOf(StrongboxError);
        expect((error as Error).message).to.not.include(PASSWORD);
        expect((error as Error).message.split('\n')).to.have.length(1);
      }
    });
  });

  it('a Bitcoin RPC URL is parsed or refused with a typed error that never shows its password', () => {
    const urls = fc.oneof(fc.webUrl().map((url) => url.replace('://', `://strongbox:${PASSWORD}@`)), fc.string({ maxLength: 60 }).map((s) => `http://u:${PASSWORD}@${s}`), fc.string({ maxLength: 60 }));
    fuzz(urls, RUNS, (url) => {
      try {
        parseRpcUrl(url);
      } catch (error) {
        expect(error).to.be.instanceOf(StrongboxError);
        expect((error as Error).message).to.not.include(PASSWORD);
      }
    });
  });

  it('a stored follower state is refused with a typed error or parses to a state the follower can run on', () => {
    const start = initialFollowerState({ height: 100, hash: 'aa'.repeat(32), prevHash: '99'.repeat(32) }, { confirmations: 2, keep: 4 });
    const deposit = { txid: 'dd'.repeat(32), vout: 1, amountSats: 50_000n, recipient: `00${'09'.repeat(32)}`, scriptPubKey: `0020${'cd'.repeat(32)}`, blockHash: 'bb'.repeat(32), height: 101 };
    const { state } = applyFollowerEvent(start, {
      type: 'connect',
      blocks: [
        { height: 101, hash: 'bb'.repeat(32), prevHash: 'aa'.repeat(32), deposits: [deposit] },
        { height: 102, hash: 'cc'.repeat(32), prevHash: 'bb'.repeat(32), deposits: [] },
      ],
    });
    const valid = [start, state].map((s) => JSON.parse(serializeFollowerState(s)) as unknown);
    fuzz(hostileJsonText(valid), RUNS, (text) => {
      const parsed = acceptOrRefuse(() => parseFollowerState(text));
      if (!parsed) return;
      const tip = followerTip(parsed);
      acceptOrRefuse(() => applyFollowerEvent(parsed, { type: 'tip', height: tip.height + 1, hash: 'ee'.repeat(32) }));
      acceptOrRefuse(() => applyFollowerEvent(parsed, { type: 'connect', blocks: [{ height: tip.height + 1, hash: 'ee'.repeat(32), prevHash: tip.hash, deposits: [] }] }));
      expect(parseFollowerState(serializeFollowerState(parsed))).to.deep.equal(parsed);
    });
  });

  // Key files and wallets hold secrets: a file others may read is refused whatever it holds, and
  // no refusal repeats a secret from the file.
  const secretFiles = [
    { name: 'a member key file', create: (path: string) => writeKeyFile(path, generateMemberKeys()), read: readKeyFile },
    { name: 'a wallet file', create: (path: string) => void createWalletFile(path), read: readWalletFile },
  ];
  for (const kind of secretFiles) {
    it(`${kind.name} is read only when it is valid and readable by its owner alone; every refusal is typed and shows no secret`, () => {
      const samples = [1, 2, 3].map((n) => {
        const path = join(dir, `${kind.name.replace(/\W/g, '-')}-${n}.json`);
        kind.create(path);
        return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
      });
      const secrets = samples.flatMap((sample) => Object.values(sample).filter((value): value is string => typeof value === 'string'));
      const path = join(dir, `fuzzed-${kind.name.replace(/\W/g, '-')}.json`);
      fuzz(fc.tuple(hostileJsonText(samples), fc.oneof(fc.constant(0o600), fc.constant(0o400), fc.integer({ min: 0, max: 0o777 }))), RUNS, ([text, mode]) => {
        writeFileSync(path, text);
        chmodSync(path, mode);
        try {
          kind.read(path);
          expect(statSync(path).mode & 0o077, 'a file others may read was accepted').to.equal(0);
        } catch (error) {
          expect(error).to.be.instanceOf(StrongboxError);
          for (const secret of secrets) expect((error as Error).message).to.not.include(secret);
        }
      });
    });
  }
});
