import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import { TraceFileError } from '../errors.js'
import type { Trace } from '../trace/trace.js'
import type { Batch, Recycled } from './graph-reader.js'
import { TraceParser } from './parser.js'

/** The worker's built file; absent when kspec runs from its TypeScript sources (tests). */
export const GRAPH_READER = fileURLToPath(new URL('./graph-reader.js', import.meta.url))

/**
 * Parses a function_graph file on two cores: a worker reads and parses lines, this
 * thread builds the call trees from what it sends. Same Trace as the one-thread parse.
 */
export function parseGraphInParallel(path: string, parser: TraceParser): Promise<Trace> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(GRAPH_READER, { workerData: { path } })
    const names: number[] = []
    const procs: string[] = []
    // The same two functions for every batch (a new closure per batch deoptimizes takeGraphOps).
    const nameOf = (id: number): number => names[id]
    const procOf = (id: number): string | undefined => procs[id]
    worker.on('message', (batch: Batch | { cutShort: string } | null) => {
      if (batch === null) {
        void worker.terminate()
        resolve(parser.finish())
        return
      }
      if ('cutShort' in batch) return parser.cutShort(batch.cutShort)
      for (const n of batch.names) names.push(parser.nameId(n))
      procs.push(...batch.procs)
      parser.progress(batch.read)
      parser.takeGraphOps(batch.ints, batch.floats, batch.count, batch.read, nameOf, procOf, batch.texts)
      // Its arrays go back, for the worker to write the next batches into.
      const back: Recycled = { ints: batch.ints, floats: batch.floats }
      worker.postMessage(back, [back.ints.buffer as ArrayBuffer, back.floats.buffer as ArrayBuffer])
    })
    // Errors cross the thread as plain Errors: a bad file is still a TraceFileError here.
    worker.on('error', (e) => reject(e.name === 'TraceFileError' ? new TraceFileError(e.message, { cause: e }) : e))
  })
}
