import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import { TraceFileError } from '../errors.js'
import type { Trace } from '../trace/trace.js'
import type { Batch } from './graph-reader.js'
import { FLOATS, INTS, OP_ENTRY, OP_EXIT, OP_LEAF, OP_TEXT } from './scanner.js'
import { TraceParser } from './parser.js'

/** The worker's built file; absent when kspec runs from its TypeScript sources (tests). */
export const GRAPH_READER = fileURLToPath(new URL('./graph-reader.js', import.meta.url))
const KINDS = { [OP_ENTRY]: 'entry', [OP_LEAF]: 'leaf', [OP_EXIT]: 'exit' } as const

/**
 * Parses a function_graph file on two cores: a worker reads and parses lines, this
 * thread builds the call trees from what it sends. Same Trace as the one-thread parse.
 */
export function parseGraphInParallel(path: string, parser: TraceParser): Promise<Trace> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(GRAPH_READER, { workerData: { path } })
    const names: number[] = []
    const procs: string[] = []
    worker.on('message', (batch: Batch | { cutShort: string } | null) => {
      if (batch === null) {
        void worker.terminate()
        resolve(parser.finish())
        return
      }
      if ('cutShort' in batch) return parser.cutShort(batch.cutShort)
      for (const n of batch.names) names.push(parser.nameId(n))
      procs.push(...batch.procs)
      let text = 0
      const { ints, floats } = batch
      for (let k = 0; k < batch.count; k++) {
        const i = k * INTS
        const op = ints[i]
        if (op === OP_TEXT) {
          parser.pushAt(ints[i + 1], batch.texts[text++])
          continue
        }
        const duration = floats[k * FLOATS]
        const ts = floats[k * FLOATS + 1]
        parser.pushCall(KINDS[op as 1 | 2 | 3], ints[i + 1], ints[i + 2] < 0 ? undefined : ints[i + 2], ints[i + 3], names[ints[i + 4]], ints[i + 5] < 0 ? undefined : procs[ints[i + 5]], Number.isNaN(duration) ? undefined : duration, Number.isNaN(ts) ? undefined : ts)
      }
    })
    // Errors cross the thread as plain Errors: a bad file is still a TraceFileError here.
    worker.on('error', (e) => reject(e.name === 'TraceFileError' ? new TraceFileError(e.message, { cause: e }) : e))
  })
}
