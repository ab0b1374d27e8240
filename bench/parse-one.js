// One measurement in a fresh process, so peak RSS is this parse's alone.
// usage: node parse-one.js FILE events|graph|lines
import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { loadTrace } from '../dist/index.js'
import { forEachLine } from '../dist/parse/lines.js'

const [file, mode] = process.argv.slice(2)
const bytes = (await stat(file)).size
const t0 = performance.now()
if (mode === 'lines') {
  let lines = 0
  await forEachLine(createReadStream(file, { highWaterMark: 1 << 20 }), () => lines++)
  const ms = performance.now() - t0
  process.stdout.write(JSON.stringify({ ms, bytes, records: lines, maxRssMB: process.resourceUsage().maxRSS / 1024 }) + '\n')
  process.exit(0)
}
const trace = await loadTrace(file)
// Loaded: every event read, its fields typed, in the event table's columns.
const loadMs = performance.now() - t0
// Then every record as an object, with its fields object: what a spec walking them all pays.
let fields = 0
if (mode === 'events') for (const r of trace.records) if (r.kind === 'event') fields += Object.keys(r.fields).length
let calls = 0
if (mode === 'graph') calls = trace.ofKind('call').length
const ms = performance.now() - t0
process.stdout.write(JSON.stringify({ ms: mode === 'events' ? loadMs : ms, objectsMs: ms - loadMs, bytes, records: trace.records.length, fields, calls, roots: trace.roots.length, maxRssMB: process.resourceUsage().maxRSS / 1024 }) + '\n')
