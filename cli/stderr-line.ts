/**
 * Standard error as lines a person reads while a command waits. The wait's progress is one line
 * written in pieces (`submitted <txid>, waiting for finality` and a dot per request); a line said
 * meanwhile (that the member asked stopped answering and another answered instead) must not be
 * glued to it, so it ends the progress line first, and the next piece of progress starts a line
 * of its own that says what is still awaited.
 */
let progress: { resume: string; broken: boolean } | undefined;

/** Starts the progress line with `text`; after a line said meanwhile, its pieces go on after `resume`. */
export function startProgress(text: string, resume: string): void {
  process.stderr.write(text);
  progress = { resume, broken: false };
}

/** Adds a piece to the progress line. */
export function addProgress(piece: string): void {
  if (progress?.broken) {
    process.stderr.write(progress.resume);
    progress.broken = false;
  }
  process.stderr.write(piece);
}

/** Ends the progress line, if one is open, before a result or an error. */
export function endProgress(): void {
  if (progress && !progress.broken) process.stderr.write('\n');
  progress = undefined;
}

/** Says `line` on a line of its own, ending the progress line first if one is open. */
export function sayLine(line: string): void {
  if (progress && !progress.broken) {
    process.stderr.write('\n');
    progress.broken = true;
  }
  process.stderr.write(`${line}\n`);
}
