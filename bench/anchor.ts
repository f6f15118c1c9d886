import { randomBytes } from 'node:crypto';
import { networks } from 'bitcoinjs-lib';
import { ECPairFactory } from 'ecpair';
import * as ecc from 'tiny-secp256k1';
import { anchorScript, encodeAnchorPayload } from '../watcher/anchor-payload.ts';
import { planWalletSpend } from '../watcher/cpfp.ts';
import { sortedMultisig } from '../watcher/escrow.ts';
import { federationPsbt, multisigTxVsize, signFederationPsbt, type FederationCoin } from '../watcher/federation-psbt.ts';
import { opsWalletMultisig } from '../watcher/ops-wallet.ts';
import { planSettlement } from '../watcher/pegout-tx.ts';
import { figure, type Figure } from './report.ts';

const ECPair = ECPairFactory(ecc);

/**
 * The Bitcoin size of one anchor from a 4-of-5 operations wallet (one input, the 44-byte
 * OP_RETURN, change), signed by four members and measured on the finished transaction; and what
 * the same OP_RETURN would add as one more output of a peg-out batch (not done: see DECISIONS.md).
 */
export function anchorSize(): Figure[] {
  const members = Array.from({ length: 5 }, () => ECPair.makeRandom());
  const escrow = sortedMultisig(4, members.map((member) => member.publicKey));
  const wallet = opsWalletMultisig(escrow);
  const coin: FederationCoin = { txid: randomBytes(32).toString('hex'), vout: 1, value: 1_000_000n, wallet: 'ops' };
  const payload = { script: anchorScript(encodeAnchorPayload(randomBytes(32), 1_000, randomBytes(32))), value: 0n };
  const plan = planWalletSpend(escrow, [coin], [payload], wallet.scriptPubKey, 1n);
  const psbt = federationPsbt(escrow, networks.regtest, plan.bitcoinTx, [coin]);
  for (const member of members.slice(0, 4)) signFederationPsbt(psbt, [coin], member.privateKey!);
  psbt.finalizeAllInputs();
  const signed = psbt.extractTransaction();

  const withdrawal = () => ({ script: Uint8Array.from([0x00, 0x14, ...randomBytes(20)]), amount: 100_000n });
  const batch = planSettlement(escrow, [{ txid: randomBytes(32).toString('hex'), vout: 0, value: 100_000_000n }], Array.from({ length: 10 }, withdrawal), 1n);
  const scripts = [...Array.from({ length: 10 }, () => withdrawal().script), escrow.scriptPubKey];
  const riding = multisigTxVsize(escrow, batch.coins.length, [...scripts, payload.script]) - multisigTxVsize(escrow, batch.coins.length, scripts);
  return [
    figure('anchor transaction, 4-of-5 P2WSH ops wallet (1 input, OP_RETURN, change), signed', signed.virtualSize(), 'vB'),
    figure('anchor as one more output of a 10-withdrawal peg-out batch: extra size', riding, 'vB'),
  ];
}
