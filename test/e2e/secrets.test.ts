import { expect } from 'chai';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { memberDir } from '../../federation/local-network/ceremony.ts';
import { networkFilePath } from '../../federation/local-network/network-file.ts';
import { runCli } from '../helpers/cli.ts';
import { operationsOf } from '../helpers/fuzz-http.ts';
import { httpRequest } from '../helpers/http.ts';
import { startTestNetwork, type TestNetwork } from '../helpers/local-network.ts';

/** Every way a secret could show up in text: as it is, hex in either case, base64, URL-encoded. */
function spellings(secret: string): string[] {
  const forms = [secret, encodeURIComponent(secret)];
  if (/^[0-9a-f]+$/.test(secret) && secret.length % 2 === 0) {
    const bytes = Buffer.from(secret, 'hex');
    forms.push(secret.toUpperCase(), bytes.toString('base64'), bytes.toString('base64url'));
  }
  return forms;
}

describe('secrets never leave their files', function () {
  this.timeout(600_000);
  let net: TestNetwork;
  let dir: string;
  // What is checked is each member's files, logs and answers, which the federation's size does
  // not change: three members, each one needed for a block, cost less to start and to run than five.
  const memberCount = 3;

  before(async () => {
    net = await startTestNetwork(memberCount);
    dir = mkdtempSync(join(tmpdir(), 'strongbox-secrets-'));
  });
  after(async () => {
    await net?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const keyFile = (index: number) => join(memberDir(net.network.dataDir, index), 'key.json');

  it('keeps every file that holds a key or a password readable by its owner only', () => {
    const files = [
      ...Array.from({ length: memberCount }, (_, index) => keyFile(index)),
      ...Array.from({ length: memberCount }, (_, index) => join(memberDir(net.network.dataDir, index), 'config.json')),
      networkFilePath(net.network.dataDir),
      ...readdirSync(join(net.network.dataDir, 'postgres'))
        .filter((name) => name.endsWith('.password'))
        .map((name) => join(net.network.dataDir, 'postgres', name)),
    ];
    expect(files.length).to.equal(2 * memberCount + 2);
    for (const file of files) expect(statSync(file).mode & 0o777, file).to.equal(0o600);
  });

  it('refuses to start a member whose key file others may read, in one line that shows no key', async () => {
    const path = keyFile(0);
    const seeds = Object.values(JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>).filter((v): v is string => typeof v === 'string' && v.length === 64);
    chmodSync(path, 0o640);
    try {
      const result = await runCli(['member', 'start', '--config', join(memberDir(net.network.dataDir, 0), 'config.json')]);
      expect(result.code).to.equal(1);
      expect(result.stderr).to.equal(`strongbox: key file ${path}: permissions 640 let others read it; run chmod 600\n`);
      for (const seed of seeds) expect(result.stderr + result.stdout).to.not.include(seed);
    } finally {
      chmodSync(path, 0o600);
    }
  });

  it('shows no seed, private key or password in any member log, API answer or CLI output after real work', async () => {
    const transcript: string[] = [];
    // Work through the CLI: wallets, an issuance, a transfer, refusals.
    const flags = ['--member', net.network.network.members[2]!.apiUrl, '--genesis', net.network.network.genesisFile!];
    const cli = async (args: string[]) => {
      const result = await runCli(args);
      transcript.push(result.stdout, result.stderr);
      return result;
    };
    const issuerFile = join(dir, 'issuer.json');
    const holderFile = join(dir, 'holder.json');
    await cli(['wallet', 'new', '--file', issuerFile, '--json']);
    const holder = JSON.parse((await cli(['wallet', 'new', '--file', holderFile, '--json'])).stdout) as { address: string };
    const issued = await cli(['issue', '--name', 'Secret Test AB', '--isin', 'US0378331005', '--supply', '500', '--file', issuerFile, '--json', ...flags]);
    expect(issued.code, issued.stderr).to.equal(0);
    const { asset } = JSON.parse(issued.stdout) as { asset: string };
    expect((await cli(['send', '--asset', asset, '--to', holder.address, '--amount', '5', '--file', issuerFile, ...flags])).code).to.equal(0);
    expect((await cli(['send', '--asset', asset, '--to', holder.address, '--amount', '5000', '--file', issuerFile, ...flags])).code).to.equal(1);
    expect((await cli(['wallet', 'show', '--file', holderFile, ...flags])).code).to.equal(0);
    await cli(['pegin-address', holder.address, ...flags]);
    await cli(['member', 'start', '--config', join(dir, 'missing.json')]);

    // Every member's API: every GET route without parameters, the documents, and refusals.
    for (const member of net.network.network.members) {
      const document = JSON.parse((await httpRequest(`${member.apiUrl}/openapi.json`)).text) as Parameters<typeof operationsOf>[0];
      const paths = operationsOf(document)
        .filter((operation) => operation.method === 'GET' && !operation.path.includes('{'))
        .map((operation) => operation.path);
      for (const path of [...paths, '/metrics', `/addresses/${holder.address}/utxos`, '/tx/zz', '/blocks/1', '/chain/blocks/1', '/nowhere']) {
        const answer = await httpRequest(member.apiUrl, { path });
        transcript.push(JSON.stringify(answer.headers), answer.text);
      }
      const refused = await httpRequest(member.apiUrl, { method: 'POST', path: '/tx', headers: { 'content-type': 'application/json' }, body: '{"hex":"00"}' });
      transcript.push(refused.text);
    }

    const secrets: { what: string; value: string }[] = [
      { what: 'the Postgres password', value: net.network.postgres.password },
      { what: 'the Bitcoin RPC password', value: net.network.bitcoin.password },
    ];
    for (let index = 0; index < memberCount; index++) {
      const keys = JSON.parse(readFileSync(keyFile(index), 'utf8')) as { blockSeed: string; pegPrivateKey: string };
      secrets.push({ what: `member ${index}'s block seed`, value: keys.blockSeed }, { what: `member ${index}'s peg private key`, value: keys.pegPrivateKey });
    }
    for (const file of [issuerFile, holderFile]) secrets.push({ what: `the wallet seed of ${file}`, value: (JSON.parse(readFileSync(file, 'utf8')) as { seed: string }).seed });

    const logs = Array.from({ length: memberCount }, (_, index) => ({ name: `member ${index}'s log`, text: readFileSync(join(memberDir(net.network.dataDir, index), 'member.log'), 'utf8') }));
    expect(logs.every((log) => log.text.includes('member started'))).to.equal(true);
    const places = [...logs, { name: 'the API answers and CLI output', text: transcript.join('\n') }];
    for (const { what, value } of secrets) {
      expect(value.length, what).to.be.at.least(16);
      for (const place of places) {
        for (const spelling of spellings(value)) expect(place.text.includes(spelling), `${what} appears in ${place.name}`).to.equal(false);
      }
    }
  });
});
