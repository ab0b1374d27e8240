import type { Histogram, HistogramEntry } from '../trace/state.js'

/**
 * A `hist` file as the kernel prints it: one or more `# event histogram` sections, each a
 * trigger-info comment, one line per entry (`{ comm: cat   } hitcount: 3  bytes: 512`),
 * then `Totals:` with Hits, Entries and Dropped. Multi-field keys are `{ a: 1, b: x }`.
 * @example parseHist('# trigger info: hist:keys=comm…\n{ comm: cat } hitcount: 1\nTotals:\n    Hits: 1\n…')
 */
export function parseHist(text: string): Histogram[] {
  const out: Histogram[] = []
  let h: Histogram | undefined
  let modified = new Set<string>()
  for (const line of text.split('\n')) {
    const info = /^# trigger info: (.*)$/.exec(line)
    if (info) {
      h = { trigger: info[1].trim(), entries: [], totals: { hits: 0, entries: 0, dropped: 0 } }
      // A key printed through a modifier (.hex, .sym, .execname, .syscall, .log2) is text: `7b` is not 7b decimal.
      modified = new Set([.../(?:^|:)keys=([^:\s]+)/.exec(h.trigger)?.[1].split(',') ?? []].filter((k) => k.includes('.')).map((k) => k.split('.')[0]))
      out.push(h)
      continue
    }
    if (h === undefined) continue
    if (line.startsWith('{')) {
      const close = line.indexOf('}')
      if (close === -1) continue
      h.entries.push({ key: keyFields(line.slice(1, close), modified), values: valueFields(line.slice(close + 1)) })
      continue
    }
    const total = /^\s*(Hits|Entries|Dropped): (\d+)/.exec(line)
    if (total) h.totals[total[1].toLowerCase() as 'hits' | 'entries' | 'dropped'] = Number(total[2])
  }
  return out
}

/** `comm: cat        , pid:  12` → { comm: 'cat', pid: 12 }: fields split at `, name:`, values trimmed. */
function keyFields(inner: string, modified: Set<string>): HistogramEntry['key'] {
  const key: HistogramEntry['key'] = {}
  const names = [...inner.matchAll(/(?:^|,)\s*([A-Za-z_][\w.]*):/g)]
  names.forEach((m, i) => {
    const from = m.index! + m[0].length
    const to = i + 1 < names.length ? names[i + 1].index! : inner.length
    const text = inner.slice(from, to).trim()
    key[m[1]] = modified.has(m[1]) ? text : typed(text)
  })
  return key
}

/** `hitcount: 3  bytes_req: 512` → { hitcount: 3, bytes_req: 512 }. */
function valueFields(rest: string): HistogramEntry['values'] {
  const values: HistogramEntry['values'] = {}
  for (const m of rest.matchAll(/([A-Za-z_][\w.]*):\s*(-?\d+)/g)) values[m[1]] = Number(m[2])
  return values
}

const typed = (v: string): string | number => (/^-?\d+$/.test(v) ? Number(v) : v)
