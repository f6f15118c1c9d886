import { InUseError, takePidLock } from '../pid-lock.ts';

/**
 * Runs `work` while this process holds the wallet, in `<wallet file>.lock`. Every command that
 * spends the wallet's coins or writes its offer records (send, pegout, dividend, dvp offer, accept
 * and cancel) holds it from reading the coins until its spend is final and recorded: the coins a
 * member lists are final ones, so a command run meanwhile would choose a coin the first is
 * spending (refused as a double spend, or an offer's split coin gone) or give one coin to two
 * offers. A second one is refused at once, naming the process that holds the wallet.
 */
export async function withWalletLock<T>(walletFile: string, work: () => Promise<T>): Promise<T> {
  const lock = takePidLock(`${walletFile}.lock`, (holder) => new InUseError(`wallet ${walletFile} is in use by another strongbox command (pid ${holder}): run this one again once that has finished`));
  try {
    return await work();
  } finally {
    lock.release();
  }
}
