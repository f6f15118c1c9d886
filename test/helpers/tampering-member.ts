// A Byzantine federation member for the adversarial tests, started in place of an honest one with
// its real config and keys: `node <its bundle> <config.json>` (adversarial-peg.test.ts). It runs the unchanged member
// code, except that every block it proposes carries its settlement tampered as
// STRONGBOX_TEST_TAMPER names (see tampering.ts), and it settles burns at once, without the batch
// window, so that its tampered settlement is the first one the federation sees.
import { loadMemberConfig } from '../../federation/config.ts';
import { stopWhenParentDies } from '../../federation/local-network/child-processes.ts';
import { Chain } from '../../federation/member/chain.ts';
import { startMember } from '../../federation/member/start-member.ts';
import { createLogger } from '../../federation/observability/logger.ts';
import { TAMPERINGS, tamperProposal, type Tampering } from './tampering.ts';

const tampering = process.env.STRONGBOX_TEST_TAMPER as Tampering;
if (!TAMPERINGS.includes(tampering)) throw new Error(`STRONGBOX_TEST_TAMPER must be one of ${TAMPERINGS.join(', ')}`);
const config = loadMemberConfig(process.argv[2]);
const log = createLogger({ name: `member-${config.memberIndex}`, level: config.logLevel });

const honestBuild = Chain.prototype.buildBlock;
Chain.prototype.buildBlock = function (this: Chain, ...args: Parameters<Chain['buildBlock']>) {
  const built = honestBuild.apply(this, args);
  const tampered = tamperProposal(built.bytes, tampering);
  if (!tampered) return built;
  log.warn({ height: args[0], tampering, bitcoinTxid: tampered.bitcoinTxid }, 'adversary: proposing a tampered settlement');
  return { hash: tampered.hash, bytes: tampered.bytes };
};

// Below the 1 ms a config may give: it settles a burn as soon as it is final.
const running = await startMember({ ...config, pegoutBatchWindowMs: 0 }, log);
const shutdown = () => running.stop().finally(() => process.exit(0));
stopWhenParentDies(() => void shutdown());
process.once('SIGTERM', () => void shutdown());
