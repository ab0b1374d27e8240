import { access } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import { TraceFileError } from '../errors.js'
import { loadTrace } from '../parse/load.js'
import type { CallRecord, TraceRecord } from '../trace/records.js'
import { summarize, type TraceSummary } from '../trace/summary.js'
import { UsageError } from './usage.js'

/** `kspec parse FILE [--json] [--format F ...]` */
export async function parseCommand(argv: string[]): Promise<number> {
  let args
  try {
    args = parseArgs({ args: argv, allowPositionals: true, options: { json: { type: 'boolean' }, format: { type: 'string', multiple: true } } })
  } catch (e) {
    throw new UsageError((e as Error).message, 'usage: kspec parse FILE [--json] [--format events/<sys>/<event>/format ...]')
  }
  const [file, extra] = args.positionals
  if (!file || extra) throw new UsageError('kspec parse takes exactly one trace file', 'usage: kspec parse FILE [--json]')
  await access(file).catch(() => {
    throw new UsageError(`cannot read "${file}"`, 'pass the path of a saved trace (plain or .gz) or a kspec artifact directory')
  })
  const { readFile } = await import('node:fs/promises')
  const formats = await Promise.all((args.values.format ?? []).map((f) => readFile(f, 'utf8')))
  let trace
  try {
    trace = await loadTrace(file, { formats })
  } catch (e) {
    if (!(e instanceof TraceFileError)) throw e
    process.stderr.write(`kspec parse: ${e.message}\n`)
    return 1
  }
  // `kspec parse --json f | head -1`: a reader that stops early ends this quietly, as with other Unix tools.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e
    process.exit(0)
  })
  if (args.values.json) await writeJson(trace.records)
  else process.stdout.write(formatSummary(summarize(trace, 10)) + '\n')
  for (const p of trace.problems) process.stderr.write(`${p.file}:${p.line}: ${p.reason}${p.text ? `: ${p.text}` : ''}\n`)
  return trace.problems.length > 0 ? 1 : 0
}

/** The readable summary `kspec parse` prints. */
export function formatSummary(s: TraceSummary): string {
  const kinds = Object.entries(s.byKind).map(([k, n]) => `${k} ${n}`).join(', ')
  const lines = [
    `trace:    ${s.source}`,
    `tracer:   ${s.tracer ?? 'unknown'}`,
    `records:  ${s.records} (${kinds || 'none'})`,
    `entries:  ${s.entries.inBuffer === undefined ? (s.graph ? 'not counted by function_graph' : `${s.entries.read} read`) : `${s.entries.read} read, header: ${s.entries.inBuffer} in buffer / ${s.entries.written} written`}`,
    `cpus:     ${s.cpus.join(' ') || '-'}`,
    `tasks:    ${s.tasks}`,
    `span:     ${s.span ? `${s.span.first} … ${s.span.last} (${+(s.span.last - s.span.first).toFixed(6)})` : '-'}`,
    `lost:     ${s.complete ? 'none' : `${s.lost} events — the trace is incomplete`}`,
  ]
  if (s.graph) lines.push(`graph:    ${s.graph.roots} call trees, ${s.graph.entriesMissing} exits without entry, ${s.graph.exitsMissing} entries without exit`)
  if (s.top.length) lines.push('top:', ...s.top.map((t) => `  ${String(t.count).padStart(8)}  ${t.name}`))
  if (s.cutShort) lines.push(`cut short: ${s.cutShort}`)
  if (s.problems) lines.push(`problems: ${s.problems} unreadable line(s), listed on stderr`)
  return lines.join('\n')
}

/** One JSON object per record; call records name their parent by line instead of nesting. */
async function writeJson(records: TraceRecord[]): Promise<void> {
  let buf = ''
  for (const r of records) {
    buf += JSON.stringify(r.kind === 'call' ? flatCall(r) : r, bigints) + '\n'
    if (buf.length > 1 << 16) {
      if (!process.stdout.write(buf)) await new Promise((resolve) => process.stdout.once('drain', resolve))
      buf = ''
    }
  }
  process.stdout.write(buf)
}

function flatCall(r: CallRecord): object {
  const { kind, line, cpu, task, pid, ts, name, depth, duration, entryMissing, exitMissing } = r
  return { kind, line, cpu, task, pid, ts, name, depth, duration, entryMissing, exitMissing, parentLine: r.parent?.line, children: r.children.length }
}

const bigints = (_: string, v: unknown): unknown => (typeof v === 'bigint' ? v.toString() : v)
