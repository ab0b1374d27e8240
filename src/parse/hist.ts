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
  let entry: HistogramEntry | undefined
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
      entry = { key: keyFields(line.slice(1, close), modified), values: valueFields(line.slice(close + 1)) }
      h.entries.push(entry)
      continue
    }
    const total = /^\s*(Hits|Entries|Dropped): (\d+)/.exec(line)
    if (total) h.totals[total[1].toLowerCase() as 'hits' | 'entries' | 'dropped'] = Number(total[2])
    else if (line.startsWith('Totals:')) entry = undefined
    // An action's lines under its entry: `\tmax: 27  next_comm: cyclictest   prev_pid: 0`.
    else if (entry !== undefined && /^\s+\S/.test(line)) tracked(line, entry)
  }
  return out
}

/** `max: 27  next_comm: cyclictest  prev_pid: 0`: numbers join the entry's values, text its saved fields. */
function tracked(line: string, entry: HistogramEntry): void {
  for (const m of line.matchAll(/([A-Za-z_$][\w.$-]*):\s*(.*?)(?=\s{2,}[A-Za-z_$][\w.$-]*:|\s*$)/g)) {
    const text = m[2].trim()
    if (/^-?\d+$/.test(text)) entry.values[m[1]] = Number(text)
    else (entry.saved ??= {})[m[1]] = text
  }
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
