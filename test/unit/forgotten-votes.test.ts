import { expect } from 'chai';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { VoteType } from '../../sidechain/vote.ts';
import { encodeMessage, type WalRecord } from '../../federation/consensus/index.ts';
import { ConfigError } from '../../sidechain/errors.ts';
import { ForgottenVotesError, rerecordForgottenVotes, type VoteMemory } from '../../federation/member/forgotten-votes.ts';
import { capturedLog } from '../helpers/captured-log.ts';
import { isValidValue, makeValue, memberConfig } from '../helpers/consensus-sim.ts';
import { MachineFixture } from '../helpers/consensus-fixture.ts';
import { testFederation } from '../helpers/genesis.ts';

const ME = 2;
const consensus = memberConfig(5, 4, ME);
const { genesis } = testFederation(5);
const value = makeValue('block at the open height');
const ourChain = Buffer.from(genesis.chainId).toString('hex');
const otherChain = 'ab'.repeat(32);

/** One peer's `/consensus/heard/:member`, served over HTTP: the height it decides and what it holds of this member there. */
interface HeardPeer {
  memberIndex: number;
  heard: { height: number; messages: string[] };
  /** The chain its `/status` names; this genesis's unless set. */
  chainId?: string;
}

/** This member's prevote for `value` in round 0 of `height`, as a peer holds it. */
function ownPrevote(height: number): string {
  return Buffer.from(encodeMessage(new MachineFixture(5, 4, ME, height).vote(ME, VoteType.Prevote, 0, value))).toString('hex');
}

/**
 * A restored member's database: its chain's tip and its consensus log. Each catch-up moves the tip
 * to the next height of `catchUps` (the last one stays), as a catch-up from peers that stops short
 * (a block request timed out) and the one after it that gets there.
 */
class RestoredMemory implements VoteMemory {
  tip: number;
  catchUpsRun = 0;
  readonly wal = new Map<number, WalRecord[]>();
  readonly rerecorded: { height: number; records: WalRecord[] }[] = [];

  constructor(
    private readonly catchUps: number[],
    /** How long the first catch-up takes, as one of many blocks. */
    private readonly firstCatchUpMs = 0,
  ) {
    this.tip = catchUps[0]!;
  }

  nextHeight(): number {
    return this.tip + 1;
  }

  walRecords(height: number): Promise<WalRecord[]> {
    return Promise.resolve(this.wal.get(height) ?? []);
  }

  rerecord(height: number, records: WalRecord[]): Promise<void> {
    this.rerecorded.push({ height, records });
    this.wal.set(height, [...(this.wal.get(height) ?? []), ...records]);
    return Promise.resolve();
  }

  isBlockOf(_height: number, proposed: { hash: Uint8Array; bytes: Uint8Array }): boolean {
    return isValidValue(proposed);
  }

  async catchUp(): Promise<void> {
    if (this.catchUpsRun === 0) await sleep(this.firstCatchUpMs);
    this.tip = Math.max(this.tip, this.catchUps[Math.min(this.catchUpsRun, this.catchUps.length - 1)]!);
    this.catchUpsRun += 1;
  }
}

describe("a restarting member taking back what it signed, while its chain's tip is below the height its peers decide", function () {
  this.timeout(60_000);
  const servers: Server[] = [];
  const peers: HeardPeer[] = [0, 1, 3, 4].map((memberIndex) => ({ memberIndex, heard: { height: 0, messages: [] } }));
  let apiUrls: string[] = [];

  before(async () => {
    apiUrls = await Promise.all(
      peers.map(async (peer) => {
        const server = createServer((request, response) => {
          const heard = request.url === `/consensus/heard/${ME}`;
          const status = request.url === '/status';
          response.writeHead(heard || status ? 200 : 404, { 'content-type': 'application/json' }).end(JSON.stringify(heard ? peer.heard : status ? { chainId: peer.chainId ?? ourChain } : {}));
        });
        servers.push(server);
        await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
        return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      }),
    );
  });
  after(() => servers.forEach((server) => server.close()));

  /** Each peer at `heights[i]`, holding this member's prevote there if `holding[i]`. */
  const peersAt = (heights: number[], holding: boolean[]) => peers.forEach((peer, i) => (peer.heard = { height: heights[i]!, messages: holding[i] ? [ownPrevote(heights[i]!)] : [] }));
  const start = (memory: RestoredMemory, peerWaitMs = 10_000) => {
    const { lines, log } = capturedLog();
    const config = { memberIndex: ME, peerWaitMs, peers: peers.map((peer, i) => ({ memberIndex: peer.memberIndex, url: 'ws://127.0.0.1:1', apiUrl: apiUrls[i]! })) };
    return { lines, started: rerecordForgottenVotes(config, genesis, consensus, memory, log) };
  };
  /** The reason a start that waits 1.5 s without progress stops with. */
  const refusalOf = async (memory: RestoredMemory) => {
    const refused = await start(memory, 1_500).started.then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused).to.be.instanceOf(ForgottenVotesError);
    return (refused as Error).message;
  };
  const said = (lines: Record<string, unknown>[]) => lines.map((line) => `${String(line.msg)} @${String(line.height)}`);
  const behind = 'this member is behind the height the other members are deciding: catching up, and asking again what it signed there, before it votes';

  it('takes back what it signed at the height its peers decide once a catch-up that stopped short gets there, not at the height it asked first', async () => {
    peersAt([6, 6, 6, 6], [true, true, false, false]);
    const memory = new RestoredMemory([3, 5]);
    const { lines, started } = start(memory);
    await started;
    expect(memory.rerecorded).to.deep.equal([{ height: 6, records: [{ step: 'prevote', height: 6, round: 0, hash: value.hash }] }]);
    expect(memory.catchUpsRun).to.equal(2);
    expect(said(lines)).to.deep.equal([`${behind} @6`, 'took back from the other members what this member signed at the height being decided; voting on from there @6']);
  });

  it('refuses to start, naming that height, when its peers hold what it signed at a height its catch-up never reaches', async () => {
    peersAt([6, 6, 6, 6], [true, true, false, false]);
    const memory = new RestoredMemory([3]);
    expect(await refusalOf(memory)).to.equal(
      `databaseUrl: the member's database does not hold what member ${ME} signed at height 6 (round 0 prevote), which member-0, member-1 received, and its chain reached only height 3 within peerWaitMs (1500 ms): ` +
        'it was restored from a backup older than the member\'s last votes, or is empty, and it takes that back only once it holds the blocks below height 6; signing there before could sign two blocks at one height. ' +
        "Check that the member reaches the other members' APIs (apiUrl of its peers) and start it again, or start it on a newer backup",
    );
    expect(memory.rerecorded).to.deep.equal([]);
  });

  it('asks again once caught up when n − k + 1 peers decide a height above the one it asked, even holding nothing it signed', async () => {
    peersAt([6, 6, 5, 5], [false, false, false, false]);
    const memory = new RestoredMemory([4, 5]);
    const { lines, started } = start(memory);
    await started;
    expect(memory.catchUpsRun).to.equal(2);
    expect(memory.rerecorded).to.deep.equal([]);
    expect(said(lines)).to.deep.equal([`${behind} @6`]);
  });

  it('asks again at once, however long the catch-up took, while each catch-up takes it higher', async () => {
    peersAt([6, 6, 6, 6], [false, false, false, false]);
    // The first catch-up outlasts peerWaitMs, and the peers have decided a block more meanwhile.
    const memory = new RestoredMemory([4, 5], 1_500);
    await start(memory, 1_000).started;
    expect(memory.catchUpsRun).to.equal(2);
    expect(memory.rerecorded).to.deep.equal([]);
  });

  it('refuses to start, naming how many peers are ahead, when n − k + 1 of them decide a height its catch-up never reaches', async () => {
    peersAt([6, 6, 5, 5], [false, false, false, false]);
    const memory = new RestoredMemory([4]);
    expect(await refusalOf(memory)).to.equal(
      'peers: 2 of the other members are deciding a height above 5, and its chain reached only height 4 within peerWaitMs (1500 ms): the member signs nothing before it has asked them what it signed at the height they are deciding. ' +
        "Check that the member reaches the other members' APIs (apiUrl of its peers) and start it again",
    );
  });

  it('goes on at once when one peer alone answers about a higher height, holding nothing it signed there', async () => {
    peersAt([7, 6, 6, 6], [false, false, false, false]);
    const memory = new RestoredMemory([5]);
    const { lines, started } = start(memory);
    await started;
    expect(memory.catchUpsRun).to.equal(1);
    expect(memory.rerecorded).to.deep.equal([]);
    expect(lines).to.deep.equal([]);
  });

  describe('with peers of another chain', () => {
    afterEach(() => peers.forEach((peer) => delete peer.chainId));

    it('refuses to start at once, naming its genesis file, when every peer that answers serves another chain', async () => {
      peersAt([6, 6, 6, 6], [false, false, false, false]);
      peers.forEach((peer) => (peer.chainId = otherChain));
      const refused = await start(new RestoredMemory([0])).started.then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(refused).to.be.instanceOf(ConfigError);
      expect((refused as Error).message).to.equal(
        `genesisFile: the other members that answer (${peers.map((peer, i) => `member-${peer.memberIndex} at ${apiUrls[i]}`).join(', ')}) serve chain ${otherChain}, not this genesis's chain ${ourChain}: ` +
          "this member's genesis file is not theirs, or its peers list names another network's members; compare chain ids (strongbox info --genesis <file>) with the other operators",
      );
    });

    it('counts only the peers of its own chain as deciding a height', async () => {
      // Two members of another network are at height 9; those of this chain are at its next height.
      peersAt([9, 9, 1, 1], [false, false, false, false]);
      peers[0]!.chainId = otherChain;
      peers[1]!.chainId = otherChain;
      const memory = new RestoredMemory([0]);
      const { lines, started } = start(memory, 1_500);
      await started;
      expect(memory.rerecorded).to.deep.equal([]);
      expect(lines).to.deep.equal([]);
    });
  });
});
