import { expect } from 'chai';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseGenesis, type Genesis } from '../../sidechain/genesis.ts';
import { isStandardScript } from '../../sidechain/transaction/check.ts';
import { ValidationError } from '../../sidechain/errors.ts';
import { sortedMultisig } from '../../watcher/escrow.ts';
import { PegoutBuildError, planSettlement } from '../../watcher/pegout-tx.ts';
import { generateMemberKeys, publicKeysOf } from '../../federation/key-file.ts';
import { checkPegoutMinimum, smallestPegoutMinimum } from '../../federation/pegout-minimum.ts';
import { testFederation } from '../helpers/genesis.ts';
import { runCliInProcess } from '../helpers/cli-in-process.ts';

const filled = (prefix: number[], length: number, suffix: number[] = []) => Uint8Array.from([...prefix, ...new Uint8Array(length).fill(7), ...suffix]);
/** One script of each kind a peg-out may pay, the widest (34 bytes) first. */
const destinations = {
  p2wsh: filled([0x00, 0x20], 32),
  p2tr: filled([0x51, 0x20], 32),
  p2pkh: filled([0x76, 0xa9, 0x14], 20, [0x88, 0xac]),
  p2sh: filled([0xa9, 0x14], 20, [0x87]),
  p2wpkh: filled([0x00, 0x14], 20),
};
const escrowCoin = { txid: '01'.repeat(32), vout: 0, value: 1_000_000n };
const withPegout = (genesis: Genesis, pegout: Partial<Genesis['file']['pegout']>) => parseGenesis({ ...genesis.file, pegout: { ...genesis.file.pegout, ...pegout } });

describe('the smallest peg-out minimum a genesis may set', () => {
  const { genesis } = testFederation(5);
  const escrow = sortedMultisig(genesis.members.threshold, genesis.pegKeys);

  it('is what a burn paid alone needs for its whole settlement fee at the fallback rate and a payment above dust, to any destination the settlement pays', () => {
    // 4-of-5 at 2 sat/vB: one escrow input, a 34-byte payment and the change weigh 256 vB.
    const smallest = smallestPegoutMinimum(genesis);
    expect(smallest).to.deep.equal({ sats: 1058n, feeShare: 512n, feeRateSatPerVb: 2n });
    for (const [kind, script] of Object.entries(destinations)) {
      expect(isStandardScript(script), kind).to.equal(true);
      const plan = planSettlement(escrow, [escrowCoin], [{ script, amount: smallest.sats }], smallest.feeRateSatPerVb);
      expect(plan.feeShare <= smallest.feeShare, `${kind}: fee share ${plan.feeShare}`).to.equal(true);
    }
    for (const script of [destinations.p2wsh, destinations.p2tr]) {
      const short = () => planSettlement(escrow, [escrowCoin], [{ script, amount: smallest.sats - 1n }], smallest.feeRateSatPerVb);
      expect(short).to.throw(PegoutBuildError).with.property('code', 'below-dust');
    }
  });

  it('grows with the fallback fee rate and the escrow the federation signs', () => {
    expect(smallestPegoutMinimum(withPegout(genesis, { fallbackFeeRateSatPerVb: 10 })).sats).to.equal(10n * 256n + 546n);
    const larger = testFederation(20).genesis;
    expect(smallestPegoutMinimum(larger).sats > smallestPegoutMinimum(genesis).sats).to.equal(true);
  });

  it('refuses a genesis below it in one line naming the smallest acceptable minimum, and takes one at it', () => {
    const low = withPegout(genesis, { minimumSats: '600' });
    expect(() => checkPegoutMinimum(low))
      .to.throw(ValidationError)
      .with.property(
        'message',
        "a peg-out minimum of 600 sats is too low: a burn paid alone bears its settlement's whole fee, 512 sats from this 4-of-5 escrow at the fallback fee rate of 2 sat/vB, and must keep 546 sats (the dust limit) to pay; the smallest acceptable minimum is 1058 sats",
      );
    expect(() => checkPegoutMinimum(withPegout(genesis, { minimumSats: '1057' }))).to.throw(ValidationError, /the smallest acceptable minimum is 1058 sats$/);
    expect(() => checkPegoutMinimum(withPegout(genesis, { minimumSats: '1058' }))).to.not.throw();
  });

  it('holds for the default minimum of every federation a ceremony makes, 1 to 20 members', () => {
    for (let members = 1; members <= 20; members += 1) expect(() => checkPegoutMinimum(testFederation(members).genesis), `${members} members`).to.not.throw();
  });
});

describe('strongbox genesis --pegout-minimum', () => {
  let dir: string;
  let memberArgs: string[];
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'strongbox-pegout-minimum-'));
    memberArgs = Array.from({ length: 5 }, (_, index) => {
      const { blockPublicKey, pegPublicKey } = publicKeysOf(generateMemberKeys());
      return ['--member', `m${index}=${blockPublicKey},${pegPublicKey}`];
    }).flat();
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses a minimum a lone burn could not be paid at, in one line naming the smallest, and writes nothing', async () => {
    const out = join(dir, 'low.json');
    const result = await runCliInProcess(['genesis', ...memberArgs, '--pegout-minimum', '600', '--out', out], { cwd: dir, env: {} });
    expect(result.code).to.equal(1);
    expect(result.stderr).to.match(/^strongbox: a peg-out minimum of 600 sats is too low: [^\n]* the smallest acceptable minimum is 1058 sats\n$/);
    expect(existsSync(out)).to.equal(false);
  });

  it('refuses a minimum that is no whole number of sats in one line', async () => {
    const result = await runCliInProcess(['genesis', ...memberArgs, '--pegout-minimum', '1e4', '--out', join(dir, 'bad.json')], { cwd: dir, env: {} });
    expect([result.code, result.stderr]).to.deep.equal([1, 'strongbox: --pegout-minimum must be a whole number of sats, got "1e4"\n']);
  });

  it('writes the smallest acceptable minimum into the genesis', async () => {
    const out = join(dir, 'genesis.json');
    const result = await runCliInProcess(['genesis', ...memberArgs, '--pegout-minimum', '1058', '--out', out], { cwd: dir, env: {} });
    expect(result.code, result.stderr).to.equal(0);
    expect((JSON.parse(readFileSync(out, 'utf8')) as { pegout: { minimumSats: string } }).pegout.minimumSats).to.equal('1058');
  });
});
