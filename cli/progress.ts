/**
 * A line of progress on stderr while a command waits. On a terminal it is rewritten in place (cut
 * to the terminal's width) and cleared before the result is printed; anywhere else (a pipe, a log file) each new state is a
 * line of its own, and a state is not repeated while it lasts.
 */
export interface ProgressLine {
  /** Whether a person watches: callers that update often only bother then. */
  readonly tty: boolean;
  show(text: string): void;
  clear(): void;
}

/** A line longer than the terminal would wrap, and only its last row could be rewritten: cut it to fit. */
function fitted(text: string, columns: number | undefined): string {
  if (columns === undefined || columns < 2 || text.length < columns) return text;
  return `${text.slice(0, columns - 2)}…`;
}

export function progressLine(stream: NodeJS.WriteStream = process.stderr): ProgressLine {
  const tty = Boolean(stream.isTTY);
  let shown: string | undefined;
  return {
    tty,
    show(text) {
      if (text === shown) return;
      shown = text;
      stream.write(tty ? `\r${fitted(text, stream.columns)}\x1b[K` : `${text}\n`);
    },
    clear() {
      if (tty && shown !== undefined) stream.write('\r\x1b[K');
      shown = undefined;
    },
  };
}
