/** Numbers in the words a subject reads in a result or a deletion receipt. */

export function count(n: number, one: string, many: string): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
}

export function others(n: number): string {
  return n === 1 ? '1 other person' : `${n.toLocaleString('en-US')} other people`;
}
