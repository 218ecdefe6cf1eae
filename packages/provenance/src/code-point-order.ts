/** Orders strings by UTF-16 code unit, not by locale: the same bytes on every machine. */
export function byCodePoint(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
