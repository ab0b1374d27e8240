/**
 * A worker that reads, decodes and parses function_graph lines, so the main thread only
 * builds call trees: the two halves of a large graph parse run on two cores. Calls
 * (entries, leaves, exits) travel packed in typed arrays; every other line travels as
 * text, in order, for the main thread's parser.
 */
import { isAscii } from 'node:buffer'
import { createReadStream } from 'node:fs'
import { gunzip } from './gunzip.js'
import { parentPort, workerData } from 'node:worker_threads'
import { parseGraphLine, type GraphLine } from './graph.js'
import { decode, eachLine, FILE_CHUNK, forEachText, lineAt, readFileChunks, WholeLines } from './lines.js'
import { drive, FLOATS, INTS, OP_ENTRY, OP_EXIT, OP_LEAF, OP_TEXT, Scanner } from './scanner.js'
import { NameTable } from './name-table.js'

const BATCH = 1 << 15
/** The first batches are small, so the main thread starts building while this one warms up. */
const FIRST_BATCH = 1 << 11

export interface Batch {
  ints: Int32Array
  floats: Float64Array
  count: number
  texts: string[]
  /** Names and procs first seen in this batch, in id order. */
  names: string[]
  procs: string[]
  /** Bytes of the file read when it was sent. */
  read: number
}

if (parentPort) {
  const { path } = workerData as { path: string }
  const port = parentPort
  const g: GraphLine = { kind: 'leaf', ts: undefined, cpu: undefined, proc: undefined, duration: undefined, depth: 0, text: '', to: '', nameFrom: 0, nameTo: 0 }
  const names = new NameTable()
  const procIds = new Map<string, number>()
  let batch = fresh()
  let size = FIRST_BATCH
  let lineNo = 0
  let graph = false
  const id = (name: string, table: Map<string, number>, list: string[]): number => {
    let n = table.get(name)
    if (n === undefined) {
      table.set(name, (n = table.size))
      list.push(name)
    }
    return n
  }
  let sent = 0
  // The main thread sends each batch's arrays back once it has taken them: the next batches
  // are written into them, not into new memory (~40 MB a million calls, slow to touch here).
  const spare: Recycled[] = []
  port.on('message', (r: Recycled) => spare.push(r))
  const flush = () => {
    // Names first seen since the last batch travel with it.
    batch.names = names.list.slice(sent)
    batch.read = done
    sent = names.list.length
    port.postMessage(batch, [batch.ints.buffer as ArrayBuffer, batch.floats.buffer as ArrayBuffer])
    batch = fresh(spare.pop())
  }
  const line = (s: string, from: number, to: number): void => {
    lineNo++
    const k = batch.count
    if (graph && s.charCodeAt(from) !== 35 && parseGraphLine(s, g, from, to) && (g.kind === 'entry' || g.kind === 'leaf' || g.kind === 'exit')) {
      const i = k * INTS
      batch.ints[i] = g.kind === 'entry' ? OP_ENTRY : g.kind === 'leaf' ? OP_LEAF : OP_EXIT
      batch.ints[i + 1] = lineNo
      batch.ints[i + 2] = g.cpu ?? -1
      batch.ints[i + 3] = g.depth
      batch.ints[i + 4] = g.kind === 'exit' ? names.id(g.text, 0, g.text.length) : names.id(s, g.nameFrom, g.nameTo)
      batch.ints[i + 5] = g.proc === undefined ? -1 : id(g.proc, procIds, batch.procs)
      batch.floats[k * FLOATS] = g.duration ?? NaN
      batch.floats[k * FLOATS + 1] = g.ts ?? NaN
    } else {
      const text = s.slice(from, to)
      if (!graph && /^# tracer: function_graph\s*$/.test(text)) graph = true
      batch.ints[k * INTS] = OP_TEXT
      batch.ints[k * INTS + 1] = lineNo
      batch.texts.push(text)
    }
    if (++batch.count === size) next()
  }
  const next = (): void => {
    flush()
    size = Math.min(BATCH, size * 2)
  }
  // Bytes of the file read, and of those the lines sent (what the main thread's tables grow by).
  let read = 0
  let done = 0
  const text = (s: string): void => {
    read += s.length
    done = read
    eachLine(s, line)
  }
  // Calls in the common layout are read by the WebAssembly scanner straight into the
  // batch; it stops at any other line, which is read above.
  const scanner = Scanner.create({ intern: (_kind, name) => names.id(name, 0, name.length), layout: () => -1 })
  const bytes = (b: Buffer): void => {
    if (scanner === undefined || b.length > scanner.capacity || !isAscii(b)) return text(decode(b))
    const start = read
    read += b.length
    done = read
    scanner.load(b)
    drive(scanner, b, {
      // Until the header says function_graph, lines are read above, one by one.
      scan: (pos) => (graph ? scanner.scanGraph(pos, b.length, lineNo + 1, size - batch.count) : 0),
      take: (ops) => {
        batch.ints.set(scanner.graphInts.subarray(0, ops * INTS), batch.count * INTS)
        batch.floats.set(scanner.graphFloats.subarray(0, ops * FLOATS), batch.count * FLOATS)
        // Procs come as name ids: the batch sends them as procs of its own.
        for (let k = batch.count; k < batch.count + ops; k++) {
          const proc = batch.ints[k * INTS + 5]
          if (proc >= 0) batch.ints[k * INTS + 5] = id(names.list[proc], procIds, batch.procs)
        }
        batch.count += ops
        lineNo += ops
        done = start + scanner.stoppedAt
        if (batch.count === size) next()
      },
      leftover: (pos) => lineAt(b, pos, line),
    })
  }
  let cut: string | undefined
  if (path.endsWith('.gz')) await forEachText(gunzip(createReadStream(path, { highWaterMark: FILE_CHUNK }), path, (reason) => (cut = reason)), text, bytes)
  else {
    // Nothing here keeps a chunk (calls travel as numbers, other lines as strings): one buffer reads the whole file.
    const lines = new WholeLines(text, bytes)
    await readFileChunks(path, (chunk) => {
      lines.push(chunk)
      return false
    })
    lines.end()
  }
  flush()
  if (cut) port.postMessage({ cutShort: cut })
  port.postMessage(null)
}

/** A batch's arrays, sent back to the worker for the next batches. */
export interface Recycled {
  ints: Int32Array
  floats: Float64Array
}

function fresh(r?: Recycled): Batch {
  return { ints: r?.ints ?? new Int32Array(BATCH * INTS), floats: r?.floats ?? new Float64Array(BATCH * FLOATS), count: 0, texts: [], names: [], procs: [], read: 0 }
}
