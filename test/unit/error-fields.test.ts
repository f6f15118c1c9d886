import { expect } from 'chai';
import { errorFields } from '../../federation/observability/logger.ts';
import { PegoutError } from '../../federation/member/pegout.ts';
import { capturedLog } from '../helpers/captured-log.ts';

describe('error fields of a log line', () => {
  it('gives an expected refusal as one line with its code and message, and no stack', () => {
    const { lines, log } = capturedLog();
    const held = "peg-outs this member's operator has not approved would exceed 250000 sats (2500 bp of the reserves) within an hour; waiting for operator approval of 00ab";
    log.warn({ height: 7, ...errorFields(new PegoutError('circuit-breaker', held)) }, 'refused a proposed block');
    expect(lines).to.have.length(1);
    expect(lines[0]).to.include({ level: 'warn', height: 7, code: 'circuit-breaker', reason: held, msg: 'refused a proposed block' });
    expect(lines[0]).to.not.have.property('err');
    expect(JSON.stringify(lines[0])).to.not.include('at ');
  });

  it('keeps the stack of an error that is not one of the project\'s own, as a bug needs', () => {
    const { lines, log } = capturedLog();
    log.warn({ height: 7, ...errorFields(new TypeError("Cannot read properties of undefined (reading 'bytes')")) }, 'refused a proposed block');
    const err = lines[0]!.err as { type: string; message: string; stack: string };
    expect(err.type).to.equal('TypeError');
    expect(err.message).to.equal("Cannot read properties of undefined (reading 'bytes')");
    expect(err.stack).to.include('error-fields.test.ts');
    expect(lines[0]).to.not.have.property('reason');
  });
});
