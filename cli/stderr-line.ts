/** What a line is written to: standard error, or any stream a test watches. */
export interface LineStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

/** A line longer than the terminal would wrap, and only its last row could be rewritten: cut it to fit. */
function fitted(text: string, columns: number | undefined): string {
  if (columns === undefined || columns < 2 || text.length < columns) return text;
  return `${text.slice(0, columns - 2)}…`;
}

/**
 * Standard error as lines a person reads while a command waits. A wait shows its progress in one
 * of two ways: a line written in pieces (`submitted <txid>, waiting for finality` and a dot per
 * request), or, on a terminal, a state rewritten in place (`pegout status`, `pegin status`,
 * `audit`). A line said meanwhile (that the member asked stopped answering and another answered
 * instead) must start a line of its own, not be glued to either: it ends the line in pieces, and
 * the next piece starts a line of its own that says what is still awaited; it clears the state
 * written in place, which is written again below it.
 */
export class StderrLines {
  private pieces: { resume: string; broken: boolean } | undefined;
  /** The state written in place on the terminal now, cut to its width. */
  private inPlace: string | undefined;

  constructor(private readonly stream: LineStream) {}

  /** Whether a person watches: a state is rewritten in place only then. */
  get tty(): boolean {
    return Boolean(this.stream.isTTY);
  }

  /** Starts the progress line with `text`; after a line said meanwhile, its pieces go on after `resume`. */
  startProgress(text: string, resume: string): void {
    this.stream.write(text);
    this.pieces = { resume, broken: false };
  }

  /** Adds a piece to the progress line. */
  addProgress(piece: string): void {
    if (this.pieces?.broken) {
      this.stream.write(this.pieces.resume);
      this.pieces.broken = false;
    }
    this.stream.write(piece);
  }

  /** Writes `text` in place of the state shown on the terminal, if any. */
  showInPlace(text: string): void {
    this.inPlace = fitted(text, this.stream.columns);
    this.stream.write(`\r${this.inPlace}\x1b[K`);
  }

  /** Clears the state written in place, before a result that replaces it. */
  clearInPlace(): void {
    if (this.inPlace !== undefined) this.stream.write('\r\x1b[K');
    this.inPlace = undefined;
  }

  /** Ends whatever progress is shown, keeping it on its line, before a result or an error. */
  end(): void {
    if ((this.pieces && !this.pieces.broken) || this.inPlace !== undefined) this.stream.write('\n');
    this.pieces = undefined;
    this.inPlace = undefined;
  }

  /** Says `line` on a line of its own, below the progress shown, if any. */
  say(line: string): void {
    if (this.pieces && !this.pieces.broken) {
      this.stream.write('\n');
      this.pieces.broken = true;
    }
    if (this.inPlace === undefined) {
      this.stream.write(`${line}\n`);
      return;
    }
    this.stream.write(`\r\x1b[K${line}\n${this.inPlace}\x1b[K`);
  }
}

/** The process's standard error: every line a command says while it waits goes through it. */
export const stderrLines = new StderrLines(process.stderr);
