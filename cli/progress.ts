import { stderrLines, type StderrLines } from './stderr-line.ts';

/**
 * A line of progress on stderr while a command waits. On a terminal it is rewritten in place (cut
 * to the terminal's width) and cleared before the result is printed; anywhere else (a pipe, a log
 * file) each new state is a line of its own, and a state is not repeated while it lasts.
 */
export interface ProgressLine {
  /** Whether a person watches: callers that update often only bother then. */
  readonly tty: boolean;
  show(text: string): void;
  clear(): void;
}

export function progressLine(lines: StderrLines = stderrLines): ProgressLine {
  const tty = lines.tty;
  let shown: string | undefined;
  return {
    tty,
    show(text) {
      if (text === shown) return;
      shown = text;
      if (tty) lines.showInPlace(text);
      else lines.say(text);
    },
    clear() {
      if (tty) lines.clearInPlace();
      shown = undefined;
    },
  };
}
