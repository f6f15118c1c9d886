import { OWNER_PAYLOAD_LENGTH } from '../address.ts';
import { MAX_DECIMALS, isValidIsin } from '../asset.ts';
import { decodeBoundBitcoinTx } from '../bitcoin-tx.ts';
import { checkSettlementShape } from '../settlement.ts';
import { TransactionError } from './errors.ts';
import { txInfo, inputsOf } from './ids.ts';
import { LIMITS, type Output, type Transaction } from './types.ts';

function fail(code: string, reason: string): never {
  throw new TransactionError(code, reason);
}

const isAmount = (amount: bigint) => amount >= 1n && amount <= LIMITS.maxAmount;

const isOwnerPayload = (owner: Uint8Array) => owner.length === OWNER_PAYLOAD_LENGTH && (owner[0] === 0 || owner[0] === 1);

export function checkAmount(amount: bigint, field: string): void {
  if (!isAmount(amount)) fail('amount-range', `${field} must be 1..2^63-1, got ${amount}`);
}

function checkOwner(owner: Uint8Array, field: string): void {
  if (!isOwnerPayload(owner)) fail('bad-address', `${field} is not an owner payload`);
}

function checkOutputs(outputs: Output[], minimum: number): void {
  if (outputs.length < minimum) fail('no-outputs', `at least ${minimum} output required`);
  if (outputs.length > LIMITS.maxOutputs) fail('too-many-outputs', `${outputs.length} outputs, above ${LIMITS.maxOutputs}`);
  // An output's field names are built only for its refusal: a member checks every output of every
  // transaction at admission and again in each block it builds or checks.
  outputs.forEach((output, index) => {
    if (!isOwnerPayload(output.owner)) checkOwner(output.owner, `output ${index} owner`);
    if (!isAmount(output.amount)) checkAmount(output.amount, `output ${index} amount`);
  });
}

function checkDistinct(keys: string[], code: string, what: string): void {
  if (keys.length > 1 && new Set(keys).size !== keys.length) fail(code, `${what} appears twice`);
}

/**
 * Bitcoin output templates a peg-out may pay: P2PKH, P2SH, P2WPKH, P2WSH, P2TR. Anything else
 * might be unspendable or non-standard, and the burned coins could never be paid out.
 */
export function isStandardScript(s: Uint8Array): boolean {
  const hex = Buffer.from(s).toString('hex');
  return (
    (s.length === 25 && hex.startsWith('76a914') && hex.endsWith('88ac')) ||
    (s.length === 23 && hex.startsWith('a914') && hex.endsWith('87')) ||
    (s.length === 22 && hex.startsWith('0014')) ||
    (s.length === 34 && (hex.startsWith('0020') || hex.startsWith('5120')))
  );
}

/** Rules that need no ledger state (Bitcoin's CheckTransaction). Throws TransactionError. */
export function checkTransaction(tx: Transaction): void {
  let info;
  try {
    info = txInfo(tx);
  } catch (error) {
    // Negative or too-wide integers and wrong-length byte fields cannot be encoded at all.
    if (error instanceof RangeError) fail('unencodable', error.message);
    throw error;
  }
  if (info.size > LIMITS.maxTxBytes) fail('oversized', `transaction is ${info.size} bytes, above ${LIMITS.maxTxBytes}`);
  const inputs = inputsOf(tx);
  if (inputs.length > LIMITS.maxInputs) fail('too-many-inputs', `${inputs.length} inputs, above ${LIMITS.maxInputs}`);
  checkDistinct(info.inputKeys, 'duplicate-input', 'an input');
  const expectedWitnesses = tx.kind === 'issuance' || tx.kind === 'registry' || tx.kind === 'reissuance' ? 1 : inputs.length;
  if (tx.witnesses.length !== expectedWitnesses) {
    fail('witness-count', `${tx.kind} needs ${expectedWitnesses} witnesses, has ${tx.witnesses.length}`);
  }
  switch (tx.kind) {
    case 'transfer':
    case 'dividend':
      if (inputs.length === 0) fail('no-inputs', `a ${tx.kind} spends at least one input`);
      checkOutputs(tx.outputs, 1);
      return;
    case 'pegout':
      if (inputs.length === 0) fail('no-inputs', 'a peg-out spends at least one input');
      checkOutputs(tx.outputs, 0);
      checkAmount(tx.amount, 'peg-out amount');
      if (!isStandardScript(tx.destinationScript)) fail('bad-destination', 'destination is not a standard Bitcoin output script');
      return;
    case 'pegin':
      checkAmount(tx.amount, 'peg-in amount');
      checkOwner(tx.recipient, 'recipient');
      return;
    case 'issuance': {
      const m = tx.metadata;
      const nameBytes = Buffer.byteLength(m.name, 'utf8');
      if (nameBytes < 1 || nameBytes > LIMITS.maxNameBytes) fail('bad-metadata', `asset name must be 1..${LIMITS.maxNameBytes} bytes`);
      if (!isValidIsin(m.isin)) fail('bad-metadata', `"${m.isin}" is not a valid ISIN`);
      if (m.decimals > MAX_DECIMALS) fail('bad-metadata', `decimals must be 0..${MAX_DECIMALS}, got ${m.decimals}`);
      checkAmount(tx.supply, 'supply');
      checkOwner(tx.recipient, 'recipient');
      if (tx.witnesses[0]?.type !== 'key') fail('witness-type', 'an issuance is signed by the issuer key');
      return;
    }
    case 'registry':
      if (tx.owners.length === 0) fail('bad-registry', 'a registry update names at least one owner');
      tx.owners.forEach((owner, index) => checkOwner(owner, `registry owner ${index}`));
      checkDistinct(tx.owners.map((owner) => Buffer.from(owner).toString('hex')), 'duplicate-owner', 'a registry owner');
      if (tx.witnesses[0]?.type !== 'key') fail('witness-type', 'a registry update is signed by the issuer key');
      return;
    case 'reissuance':
      checkAmount(tx.amount, 'reissued amount');
      checkOwner(tx.recipient, 'recipient');
      if (tx.witnesses[0]?.type !== 'key') fail('witness-type', 'a re-issuance is signed by the issuer key');
      return;
    case 'anchor':
      decodeBoundBitcoinTx(tx.bitcoinTxid, tx.bitcoinTx, 'bad-anchor');
      return;
    case 'settlement':
      checkDistinct(tx.burns.map((burn) => Buffer.from(burn).toString('hex')), 'duplicate-burn', 'a settled burn');
      checkSettlementShape(tx.burns.length, tx.bitcoinTxid, tx.bitcoinTx);
      return;
  }
}
