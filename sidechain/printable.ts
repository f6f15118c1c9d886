/**
 * What printable escapes: control characters (a line break, a carriage return, a terminal escape)
 * and the invisible marks that reorder the text after them (bidirectional overrides and isolates).
 */
const UNPRINTABLE = /[\p{Cc}\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu;

/**
 * Text shown to a person, from the chain (a security's name is any UTF-8 its issuer chose) or from
 * an argument: each control character written as `\xNN` and each direction mark as `\uNNNN`, so
 * that nothing in it can pass for more lines of output, or rewrite or reorder the text around it.
 */
export function printable(text: string): string {
  return text.replace(UNPRINTABLE, (c) => {
    const code = c.codePointAt(0)!;
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/** Whether a person sees `text` as it is: printable leaves it unchanged. */
export const isPrintable = (text: string): boolean => printable(text) === text;
