import { InUseError, takePidLock } from '../pid-lock.ts';

/**
 * Runs `work` while this process holds the wallet, in `<wallet file>.lock`. `dvp offer` holds it
 * from reading the wallet's coins and offer records to recording its own offer: two run at once
 * split the same coin (the second's split was refused as a double spend) or took the same coin
 * for two offers. A second one is refused at once, naming the process that holds the wallet.
 */
export async function withWalletLock<T>(walletFile: string, work: () => Promise<T>): Promise<T> {
  const lock = takePidLock(`${walletFile}.lock`, (holder) => new InUseError(`wallet ${walletFile} is in use by another strongbox command (pid ${holder}): run this one again once that has finished`));
  try {
    return await work();
  } finally {
    lock.release();
  }
}
