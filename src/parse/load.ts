import { createReadStream } from 'node:fs'
import { access, readdir, readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { TraceFileError } from '../errors.js'
import type { Trace } from '../trace/trace.js'
import { parseFormat } from './format.js'
import { gunzip } from './gunzip.js'
import { FILE_CHUNK, readFileChunks } from './lines.js'
import { TraceParser } from './parser.js'
import { GRAPH_READER, parseGraphInParallel } from './parallel.js'

export interface LoadOptions {
  /** Texts of `format` files, to type event fields (`events/<sys>/<event>/format`). */
  formats?: string[]
  /** Name shown in messages when the input is a stream. */
  name?: string
}

/** The file names `loadTrace` looks for inside a kspec artifact directory. */
export const ARTIFACT_TRACE = 'trace.txt'
export const ARTIFACT_FORMATS = 'formats'

/**
 * Loads a saved trace: a `trace` text file (plain or `.gz`), a stream of one, or a kspec
 * artifact directory (its `trace.txt` with the `formats/` it saved).
 * @example const trace = await loadTrace('traces/graph_openat_depth3.txt')
 */
export async function loadTrace(input: string | Readable | AsyncIterable<string | Uint8Array>, options: LoadOptions = {}): Promise<Trace> {
  const formats = [...(options.formats ?? [])]
  let source = options.name ?? '<stream>'
  let stream: AsyncIterable<string | Uint8Array>
  const cut: { reason?: string } = {}
  if (typeof input === 'string') {
    let path = input
    const st = await stat(path).catch((e: NodeJS.ErrnoException) => {
      throw new TraceFileError(`loadTrace: cannot read ${path} (${e.code ?? e.message}): pass the path of a saved trace (plain or .gz) or of a kspec artifact folder`)
    })
    if (st.isDirectory()) {
      if (!(await access(join(path, ARTIFACT_TRACE)).then(() => true, () => false))) {
        throw new TraceFileError(`loadTrace: ${path} is a folder without ${ARTIFACT_TRACE}, so not a kspec artifact folder (kspec-artifacts/<spec>/<test>/): pass a trace file, or the folder a failed test named`)
      }
      formats.push(...(await artifactFormats(path)))
      path = join(path, ARTIFACT_TRACE)
    }
    source = path
    const size = (await stat(path)).size
    const gz = path.endsWith('.gz')
    if (gz && size === 0) throw new TraceFileError(`${path}: the file is empty, so not a gzip file: the trace was never written, or written elsewhere`)
    if (await worthParallel(path, size)) return checked(await parseGraphInParallel(path, newParser(source, formats, size)))
    if (!gz) {
      const parser = newParser(source, formats, size)
      await readFileChunks(path, (chunk, again) => parser.feed(chunk, again))
      return checked(parser.finish())
    }
    stream = gunzip(createReadStream(path, { highWaterMark: FILE_CHUNK }), path, (reason) => (cut.reason = reason))
  } else {
    stream = input
  }
  return checked(await parseStream(stream, source, formats, cut))
}

/**
 * A trace is what holds trace records, or at least an ftrace header: an empty file,
 * /dev/null or a binary must not pass as a complete trace on which every negated
 * matcher holds. Nor may a file whose lines are mostly not ftrace output.
 */
function checked(trace: Trace): Trace {
  const records = trace.recordCount
  const h = trace.header
  const header = h.tracer !== undefined || h.traceCmd || h.entriesInBuffer !== undefined
  const unreadable = trace.problems.filter((p) => !p.cutShort)
  const where = unreadable.length ? ` (the first at ${unreadable[0].file}:${unreadable[0].line})` : ''
  if (records === 0 && !header) {
    throw new TraceFileError(`${trace.source}: no ftrace records and no ftrace header in it${unreadable.length ? `, only ${unreadable.length} line(s) that are not ftrace output${where}` : ' (it is empty)'}: this is not a trace. loadTrace reads tracefs trace or trace_pipe text and trace-cmd report output, plain or .gz`)
  }
  if (unreadable.length > records) {
    throw new TraceFileError(`${trace.source}: ${unreadable.length} line(s) are not ftrace output${where} against ${records} trace record(s): this is not a trace kspec can read (a binary, a log, another tool's format?)`)
  }
  return trace
}

/** Parses text (a whole string) — for tests and small inputs. */
export function parseTraceText(text: string, options: LoadOptions = {}): Trace {
  const parser = new TraceParser(options.name ?? '<text>')
  for (const f of options.formats ?? []) parser.formats.add(parseFormat(f))
  parser.feed(text)
  return parser.finish()
}

/** A parser for a text of about `bytes` bytes (0: unknown), its events typed by `formats`. */
function newParser(source: string, formats: string[], bytes: number): TraceParser {
  const parser = new TraceParser(source)
  parser.expect(bytes)
  for (const f of formats) parser.formats.add(parseFormat(f))
  return parser
}

async function parseStream(stream: AsyncIterable<string | Uint8Array>, source: string, formats: string[], cut: { reason?: string }): Promise<Trace> {
  const parser = newParser(source, formats, 0)
  await parser.read(stream)
  if (cut.reason) parser.cutShort(cut.reason)
  return parser.finish()
}

/**
 * Large gzipped function_graph files parse on two cores: the worker inflates and reads
 * the lines, this thread builds the trees. A plain one parses on one: in kspec's workers
 * (huge pages) the 108 MB capture built its trees in ~610-630 ms on one thread against
 * ~800-830 on two, and without huge pages they were even (130 against 135 MB/s);
 * gzipped, two took 874 ms against 1079. KSPEC_PARSE_THREADS=1 keeps one thread for
 * both, =2 takes two for both. Other tracers parse on one: a worker reading the second
 * half of an events file measured slower than one thread here, its start and its own
 * JIT warm-up costing more than the half it took over (docs/DESIGN.md).
 */
const PARALLEL_FROM = 16 << 20

async function worthParallel(path: string, size: number): Promise<boolean> {
  const threads = process.env.KSPEC_PARSE_THREADS
  const gz = path.endsWith('.gz')
  if (threads === '1' || (!gz && threads !== '2') || !(await access(GRAPH_READER).then(() => true, () => false))) return false
  if (size < (gz ? PARALLEL_FROM / 8 : PARALLEL_FROM)) return false
  const file = createReadStream(path, { end: 1 << 16 })
  const head = gz ? gunzip(file, path, () => {}) : file
  for await (const chunk of head) {
    file.destroy()
    return /^# tracer: function_graph\s*$/m.test(chunk.toString('latin1'))
  }
  return false
}

async function artifactFormats(dir: string): Promise<string[]> {
  const folder = join(dir, ARTIFACT_FORMATS)
  let names: string[]
  try {
    names = await readdir(folder)
  } catch {
    return []
  }
  return Promise.all(names.map((n) => readFile(join(folder, n), 'utf8')))
}
