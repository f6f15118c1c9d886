export { Writer } from './writer.ts';
export { Reader } from './reader.ts';
export { DecodeError } from './errors.ts';
