import type { Readable } from 'node:stream'
import { createGunzip } from 'node:zlib'
import { TraceFileError } from '../errors.js'

/**
 * A .gz file's text. A file cut short (`unexpected end of file`) gives what it held and
 * calls `cutShort` with why, so the trace is marked incomplete; anything else zlib refuses
 * is a corrupt file, named in a TraceFileError.
 */
export async function* gunzip(file: Readable, path: string, cutShort: (reason: string) => void): AsyncIterable<Uint8Array> {
  try {
    for await (const chunk of file.pipe(createGunzip({ chunkSize: 1 << 20 }))) yield chunk
  } catch (e) {
    const err = e as NodeJS.ErrnoException
    if (err.code === 'Z_BUF_ERROR') return cutShort(`the .gz ends early (${err.message}); what it held was read`)
    throw new TraceFileError(`${path}: not a readable gzip file (${err.message}): it is corrupt, or not gzip at all; gunzip -t ${path} says more`, { cause: e })
  } finally {
    file.destroy()
  }
}
