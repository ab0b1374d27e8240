// One measurement in a fresh process, so peak RSS is this parse's alone.
// usage: node parse-one.js FILE events|graph|lines
import { readFileSync } from 'node:fs'
import { stat } from 'node:fs/promises'
import { loadTrace } from '../dist/index.js'
import { eachLine, readFileChunks, WholeLines } from '../dist/parse/lines.js'

const [file, mode] = process.argv.slice(2)
/**
 * This process's peak RSS in MB: VmHWM, its own memory's high-water mark. (getrusage's
 * maxrss is not: Linux carries the parent's over exec, so every parse the bench spawned
 * after loading a large capture reported the bench's own peak.)
 */
const peakMB = () => Number(/^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? NaN) / 1024
const bytes = (await stat(file)).size
const t0 = performance.now()
if (mode === 'lines') {
  // Read as loadTrace reads a file (readFileChunks: into reused memory), split into lines as text.
  let lines = 0
  const whole = new WholeLines((text) => eachLine(text, () => lines++))
  await readFileChunks(file, (chunk) => {
    whole.push(chunk)
    return false
  })
  whole.end()
  const ms = performance.now() - t0
  process.stdout.write(JSON.stringify({ ms, bytes, records: lines, maxRssMB: peakMB() }) + '\n')
  process.exit(0)
}
const trace = await loadTrace(file)
// Loaded: every event read with its fields typed, every call tree built, in columns.
const loadMs = performance.now() - t0
const calls = trace.callCount
// Then every record as an object (events with their fields objects): what a spec walking
// them all pays; queries make objects only for what they return.
let fields = 0
for (const r of trace.records) if (r.kind === 'event') fields += Object.keys(r.fields).length
const ms = performance.now() - t0
process.stdout.write(JSON.stringify({ ms: loadMs, objectsMs: ms - loadMs, bytes, records: trace.records.length, fields, calls, objectCalls: trace.ofKind('call').length, roots: trace.roots.length, maxRssMB: peakMB() }) + '\n')
