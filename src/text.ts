/**
 * Words for people, below every layer (like errors.ts): did-you-mean candidates and counts.
 * Imports nothing of kspec's.
 */

/** Close names, for did-you-mean: edit distance ≤ a third of the length, or a shared stem. */
export function nearest(name: string, candidates: Iterable<string>, max = 3): string[] {
  const scored: [string, number][] = []
  for (const c of candidates) {
    const d = distance(name, c)
    if (d <= Math.max(2, Math.floor(name.length / 3)) || (name.length >= 5 && (c.includes(name) || name.includes(c) && c.length >= 5))) {
      scored.push([c, d])
    }
  }
  return scored.sort((a, b) => a[1] - b[1] || a[0].localeCompare(b[0])).slice(0, max).map((s) => s[0])
}

function distance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 8) return 99
  const row = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]
    row[0] = i
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1))
      prev = cur
    }
  }
  return row[b.length]
}

export const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`
