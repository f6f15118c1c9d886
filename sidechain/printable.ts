/**
 * Text shown to a person, from the chain (a security's name is any UTF-8 its issuer chose) or from
 * an argument: each control character written as `\xNN`, so that no line break, carriage return
 * or terminal escape in it can pass for more lines of output, or rewrite those around it.
 */
export function printable(text: string): string {
  return text.replace(/\p{Cc}/gu, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
