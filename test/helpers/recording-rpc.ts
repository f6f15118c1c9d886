import { BitcoinRpc } from '../../watcher/rpc.ts';

/** An RPC client to a real node that notes the method of every call made through it, for a test to count what a step asks the node. */
export class RecordingRpc extends BitcoinRpc {
  readonly methods: string[] = [];

  override call<T>(method: string, ...parameters: unknown[]): Promise<T> {
    this.methods.push(method);
    return super.call<T>(method, ...parameters);
  }
}
