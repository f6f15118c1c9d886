import { expect } from 'chai';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.ts';
import { parseGenesis } from '../../sidechain/genesis.ts';

/** `strongbox info`: what operators check in a genesis ceremony, from the files alone. */
describe('strongbox info: a genesis file and a member key file, read without any member', function () {
  this.timeout(60_000);
  let dir: string;
  let chainId: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'strongbox-info-'));
    const init = await runCli(['network', 'init', '--dir', dir, '--members', '5', '--threshold', '4', '--json']);
    expect(init.code, init.stderr).to.equal(0);
    chainId = (JSON.parse(init.stdout) as { chainId: string }).chainId;
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('shows the chain id, the members and their keys, the parameters and the escrow the peg keys make', async () => {
    const genesisFile = join(dir, 'genesis.json');
    const shown = await runCli(['info', '--genesis', genesisFile, '--json']);
    expect(shown.code, shown.stderr).to.equal(0);
    const info = JSON.parse(shown.stdout) as { chainId: string; threshold: number; members: { name: string; pegKey: string }[]; escrow: { descriptor: string; address: string } };
    const file = JSON.parse(readFileSync(genesisFile, 'utf8')) as { members: { pegKey: string }[] };
    expect(info.chainId).to.equal(chainId);
    expect(info.threshold).to.equal(4);
    expect(info.members.map((m) => m.name)).to.deep.equal(['member-0', 'member-1', 'member-2', 'member-3', 'member-4']);
    const sortedPegKeys = file.members.map((m) => m.pegKey).sort();
    expect(info.escrow.descriptor).to.match(new RegExp(`^wsh\\(sortedmulti\\(4,${sortedPegKeys.join(',')}\\)\\)#[a-z0-9]{8}$`));
    expect(info.escrow.address).to.match(/^bcrt1q[a-z0-9]{58}$/);

    const human = await runCli(['info', '--genesis', genesisFile]);
    expect(human.stdout).to.include(`chain id         ${chainId}`).and.include('members          5, 4 sign each block').and.include(info.escrow.descriptor);
  });

  it('writes a genesis from the members\' keys, with the API address of those that give one (not part of the chain id)', async () => {
    const members = (JSON.parse(readFileSync(join(dir, 'genesis.json'), 'utf8')) as { members: { name: string; blockKey: string; pegKey: string }[] }).members;
    const specs = members.map((m, index) => `${m.name}=${m.blockKey},${m.pegKey}${index < 2 ? `,http://10.0.0.${index + 1}:8200` : ''}`);
    const out = join(dir, 'ceremony.json');
    const written = await runCli(['genesis', ...specs.flatMap((spec) => ['--member', spec]), '--threshold', '4', '--out', out, '--json']);
    expect(written.code, written.stderr).to.equal(0);
    const file = JSON.parse(readFileSync(out, 'utf8')) as { members: { name: string; apiUrl?: string }[] };
    expect(file.members.map((m) => m.apiUrl)).to.deep.equal(['http://10.0.0.1:8200', 'http://10.0.0.2:8200', undefined, undefined, undefined]);
    const shown = JSON.parse((await runCli(['info', '--genesis', out, '--json'])).stdout) as { chainId: string };
    expect(shown.chainId).to.equal((JSON.parse(written.stdout) as { chainId: string }).chainId);
    const withoutUrls = { ...file, members: file.members.map(({ apiUrl: _, ...member }) => member) };
    expect(Buffer.from(parseGenesis(withoutUrls).chainId).toString('hex')).to.equal(shown.chainId);

    const badUrl = await runCli(['genesis', '--member', `${members[0]!.name}=${members[0]!.blockKey},${members[0]!.pegKey},ftp://x`, '--out', join(dir, 'bad.json')]);
    expect(badUrl.code).to.equal(1);
    expect(badUrl.stderr).to.match(/^strongbox: --member must be name=<64 hex block key>,<66 hex peg key>\[,<API URL http\(s\):\/\/…>\], got ".*ftp:\/\/x"\n$/);
  });

  it('writes the peg and anchoring rules the ceremony gives, and refuses one out of range in one line naming its flag, writing nothing', async () => {
    const members = (JSON.parse(readFileSync(join(dir, 'genesis.json'), 'utf8')) as { members: { name: string; blockKey: string; pegKey: string }[] }).members;
    const memberFlags = members.flatMap((m) => ['--member', `${m.name}=${m.blockKey},${m.pegKey}`]);
    const out = join(dir, 'rules.json');
    const rules = ['--pegin-fee', '500', '--pegin-minimum', '20000', '--fallback-fee-rate', '5', '--circuit-breaker', '1000', '--anchor-interval-blocks', '100', '--anchor-interval-seconds', '3600'];
    const written = await runCli(['genesis', ...memberFlags, ...rules, '--out', out]);
    expect(written.code, written.stderr).to.equal(0);
    const file = JSON.parse(readFileSync(out, 'utf8')) as { pegin: unknown; pegout: unknown; anchor: unknown };
    expect(file.pegin).to.deep.equal({ confirmations: 2, feeSats: '500', minimumSats: '20000' });
    expect(file.pegout).to.deep.equal({ minimumSats: '10000', fallbackFeeRateSatPerVb: 5, circuitBreakerBasisPoints: 1000 });
    expect(file.anchor).to.deep.equal({ intervalBlocks: 100, intervalSeconds: 3600 });
    const shown = await runCli(['info', '--genesis', out]);
    expect(shown.stdout).to.include('peg-out          minimum 10000 sats, fallback fee rate 5 sat/vB, circuit breaker 10 % of reserves an hour\nanchors          every 100 blocks or 3600 s\n');
    const refused: [string[], string][] = [
      [['--circuit-breaker', '0'], '--circuit-breaker must be a whole number from 1 to 10000, got 0'],
      [['--circuit-breaker', '25%'], '--circuit-breaker must be a whole number, got "25%"'],
      [['--fallback-fee-rate', '10001'], '--fallback-fee-rate must be a whole number from 1 to 10000, got 10001'],
      [['--anchor-interval-blocks', '4294967296'], '--anchor-interval-blocks must be a whole number from 1 to 4294967295, got 4294967296'],
      [['--anchor-interval-seconds', '0'], '--anchor-interval-seconds must be a whole number from 1 to 4294967295, got 0'],
      [['--pegin-fee', '10000'], '--pegin-fee must be below the smallest deposit minted (10000 sats, --pegin-minimum), got 10000: a deposit is minted its value less the fee'],
      [['--pegin-minimum', '1.5'], '--pegin-minimum must be a whole number of sats, got "1.5"'],
    ];
    for (const [flags, reason] of refused) {
      const bad = join(dir, 'refused-rules.json');
      const result = await runCli(['genesis', ...memberFlags, ...flags, '--out', bad]);
      expect([result.code, result.stderr, existsSync(bad)], flags.join(' ')).to.deep.equal([1, `strongbox: ${reason}\n`, false]);
    }
  });

  it('refuses a ceremony of one member, which no member could run, in one line and writing nothing', async () => {
    const [first] = (JSON.parse(readFileSync(join(dir, 'genesis.json'), 'utf8')) as { members: { name: string; blockKey: string; pegKey: string }[] }).members;
    const refusal = 'a federation needs at least 2 members, got 1: members decide blocks with each other, and no member starts with a genesis of 1';
    const out = join(dir, 'alone.json');
    const alone = await runCli(['genesis', '--member', `${first!.name}=${first!.blockKey},${first!.pegKey}`, '--out', out]);
    expect([alone.code, alone.stderr, existsSync(out)]).to.deep.equal([1, `strongbox: ${refusal}\n`, false]);
    const folder = join(dir, 'alone-network');
    const init = await runCli(['network', 'init', '--dir', folder, '--members', '1']);
    expect([init.code, init.stderr, existsSync(join(folder, 'genesis.json'))]).to.deep.equal([1, `strongbox: ${refusal}\n`, false]);
  });

  it('refuses a key file given as the genesis in one line that says so, showing none of its secret', async () => {
    const keyFile = join(dir, 'member-0', 'key.json');
    const swapped = await runCli(['info', '--genesis', keyFile]);
    expect([swapped.code, swapped.stdout, swapped.stderr]).to.deep.equal([1, '', `strongbox: --genesis: ${keyFile} is a member key file, not a genesis file: give the chain's genesis.json here and the key file as the key (--key, keyFile)\n`]);
  });

  it('names the seat of a member key file, and refuses a key that has none in one line', async () => {
    const genesisFile = join(dir, 'genesis.json');
    const seat = await runCli(['info', '--genesis', genesisFile, '--key', join(dir, 'member-3', 'key.json')]);
    expect(seat.code, seat.stderr).to.equal(0);
    expect(seat.stdout).to.include('your key file    member 3 (member-3)');

    const stranger = join(dir, 'stranger.key.json');
    expect((await runCli(['keygen', '--out', stranger])).code).to.equal(0);
    const refused = await runCli(['info', '--genesis', genesisFile, '--key', stranger]);
    expect(refused.code).to.equal(1);
    expect(refused.stdout).to.equal('');
    expect(refused.stderr).to.match(/^strongbox: the keys in \S+stranger\.key\.json \(block [0-9a-f]{64}\) are not a member of this genesis\n$/);

    // Before the ceremony there is no genesis: the key file's public keys alone, as keygen printed them.
    const keygen = await runCli(['keygen', '--out', join(dir, 'operator.key.json'), '--json']);
    const printed = JSON.parse(keygen.stdout) as { blockPublicKey: string; pegPublicKey: string };
    const keysAlone = await runCli(['info', '--key', join(dir, 'operator.key.json')], { env: { STRONGBOX_HOME: join(dir, 'no-network') } });
    expect([keysAlone.code, keysAlone.stderr]).to.deep.equal([0, '']);
    expect(keysAlone.stdout).to.equal(`block public key: ${printed.blockPublicKey}\npeg public key:   ${printed.pegPublicKey}\nno genesis given: with --genesis this also shows the key file's seat\n`);

    const missing = await runCli(['info', '--genesis', join(dir, 'nowhere.json')]);
    expect(missing.code).to.equal(1);
    expect(missing.stderr.trim().split('\n')).to.have.length(1);
  });
});
