import { isAscii } from 'node:buffer'
import { open } from 'node:fs/promises'
import { TraceFileError } from '../errors.js'

/**
 * Splits a stream of chunks into lines without ever holding the whole text; each line is
 * handed over as a range of the decoded chunk, so the caller decides what to cut out.
 * Carriage returns from serial consoles are dropped.
 */
export async function forEachLine(chunks: AsyncIterable<string | Uint8Array> | Iterable<string | Uint8Array>, onLine: (text: string, from: number, to: number) => void): Promise<void> {
  await forEachText(chunks, (text) => eachLine(text, onLine))
}

/** Each line of `text` as a range of it, carriage returns dropped. */
export function eachLine(text: string, onLine: (text: string, from: number, to: number) => void): void {
  let start = 0
  let nl = text.indexOf('\n')
  while (nl !== -1) {
    onLine(text, start, nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl)
    start = nl + 1
    nl = text.indexOf('\n', start)
  }
  if (start < text.length) onLine(text, start, text.endsWith('\r') ? text.length - 1 : text.length)
}

/**
 * The same stream as texts of whole lines: each ends with a newline, except the last
 * text when the stream does not. Bytes are decoded up to the last newline of each chunk,
 * so a multi-byte character is never cut; with `onBytes`, they are handed over undecoded
 * (`decode` turns them into the same text).
 */
export async function forEachText(chunks: AsyncIterable<string | Uint8Array> | Iterable<string | Uint8Array>, onText: (text: string) => void, onBytes?: (bytes: Buffer) => void): Promise<void> {
  const lines = new WholeLines(onText, onBytes)
  for await (const chunk of chunks) lines.push(chunk)
  lines.end()
}

/** forEachText one chunk at a time, for a caller that is handed chunks (push) rather than a stream. */
export class WholeLines {
  #carry: Buffer | undefined
  #rest = ''
  constructor(
    private readonly onText: (text: string) => void,
    private readonly onBytes?: (bytes: Buffer) => void,
  ) {}

  push(chunk: string | Uint8Array): void {
    if (typeof chunk === 'string') {
      this.#rest = this.#whole(this.#rest + chunk)
      return
    }
    const bytes: Buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)
    const first = bytes.indexOf(10)
    if (first === -1) {
      // Copied: the caller may read its next chunk into the same memory (readFileChunks).
      this.#carry = this.#carry ? Buffer.concat([this.#carry, bytes]) : Buffer.from(bytes)
      return
    }
    let start = 0
    if (this.#carry) {
      // The line the last chunk began: joined on its own, not by copying this whole chunk.
      this.#bytes(Buffer.concat([this.#carry, bytes.subarray(0, first + 1)]))
      start = first + 1
    }
    const last = bytes.lastIndexOf(10)
    if (last >= start) this.#bytes(bytes.subarray(start, last + 1))
    this.#carry = last + 1 < bytes.length ? Buffer.from(bytes.subarray(last + 1)) : undefined
  }

  /** The stream has ended: the last line, if it had no newline. */
  end(): void {
    if (this.#carry) this.#rest += this.#carry.toString('utf8')
    this.#carry = undefined
    if (this.#rest.length > 0) this.onText(this.#rest)
    this.#rest = ''
  }

  #whole(text: string): string {
    const last = text.lastIndexOf('\n')
    if (last === -1) return text
    this.onText(last === text.length - 1 ? text : text.slice(0, last + 1))
    return text.slice(last + 1)
  }

  #bytes(lines: Buffer): void {
    if (this.onBytes) this.onBytes(lines)
    else this.onText(decode(lines))
  }
}

/** Bytes a file is read by: a stream's chunk size, and what the scanner holds with room to spare. */
export const FILE_CHUNK = 1 << 20

/**
 * Reads a file a chunk at a time, each handed to `onChunk`, which says whether it keeps
 * the chunk's memory. The next chunk is being read while one is handed over, into the
 * memory of one that was not kept, else into new memory. `again()` reads the chunk
 * handed over again into new memory (one allocation of the file's size holds every such
 * copy), for a reader that keeps some of it and would rather not touch that memory now
 * (those reads are complete when this returns).
 *
 * Why: memory never touched before costs a page fault per page, twice on this machine
 * (a VM with shadow paging): ~4.7 ms a MB when the kernel writes it, and ~3 ms a MB more
 * when this process first reads it. A reused buffer costs neither, and a copy read again
 * costs only the first, in the thread that reads, not in the one that parses.
 */
export async function readFileChunks(path: string, onChunk: (bytes: Buffer, again: () => Buffer) => boolean): Promise<void> {
  const file = await open(path, 'r')
  // Only a file with a size on disk reads the same twice: tracefs and /proc files say 0
  // and print anew each time (trace_pipe would even give other events).
  const st = await file.stat()
  const rereadable = st.isFile() && st.size > 0
  let pending: Promise<{ bytesRead: number; buffer: Buffer }> | undefined
  const reads: Promise<unknown>[] = []
  let copies: Buffer | undefined
  let failed: unknown
  try {
    let spare: Buffer | undefined
    let position = 0
    pending = file.read(Buffer.allocUnsafeSlow(FILE_CHUNK), 0, FILE_CHUNK, null)
    for (;;) {
      const { bytesRead, buffer } = await pending
      pending = undefined
      if (bytesRead === 0) break
      pending = file.read(spare ?? Buffer.allocUnsafeSlow(FILE_CHUNK), 0, FILE_CHUNK, null)
      spare = undefined
      const bytes = buffer.subarray(0, bytesRead)
      const at = position
      const again = (): Buffer => {
        // A pipe or a generated file cannot be read again: its copy is made here.
        if (!rereadable) return Buffer.from(bytes)
        // Copies go where they stand in the file, in one allocation for all of them: one
        // mapping (huge pages where malloc asks for them; see huge-pages.ts), and one
        // external allocation for V8 to weigh rather than a chunk's each time. A file
        // that grew past its size at the start gets new memory for the rest.
        copies ??= at + bytesRead <= st.size ? Buffer.allocUnsafeSlow(st.size) : undefined
        const copy = copies !== undefined && at + bytesRead <= copies.length ? copies.subarray(at, at + bytesRead) : Buffer.allocUnsafeSlow(bytesRead)
        // Settled at once (a rejection waiting for the loop to get to it would be unhandled till then); thrown at the end.
        const read = file.read(copy, 0, bytesRead, at).then(({ bytesRead: n }) => {
          if (n !== bytesRead) throw new TraceFileError(`${path}: the file got shorter while it was read (${n} of ${bytesRead} bytes at ${at} read again): load it when nothing is writing it, or a copy`)
        })
        reads.push(read.catch((e: unknown) => (failed ??= e)))
        return copy
      }
      position += bytesRead
      if (!onChunk(bytes, again)) spare = buffer
    }
    await Promise.all(reads)
    if (failed !== undefined) throw failed
  } finally {
    // Reads still under way when onChunk threw finish before the file closes.
    await pending?.catch(() => {})
    await Promise.all(reads)
    await file.close()
  }
}

/**
 * The line at `pos` of ASCII `bytes` (one a scanner left), handed over as `onLine` takes
 * lines, carriage return dropped; returns where the next line starts.
 */
export function lineAt(bytes: Buffer, pos: number, onLine: (text: string, from: number, to: number) => void): number {
  let nl = bytes.indexOf(10, pos)
  if (nl === -1) nl = bytes.length
  const line = bytes.toString('latin1', pos, nl > pos && bytes[nl - 1] === 13 ? nl - 1 : nl)
  onLine(line, 0, line.length)
  return nl + 1
}

/** ASCII (nearly every trace) decodes as latin1: a copy, where UTF-8 decoding validates. */
export function decode(bytes: Buffer): string {
  return bytes.toString(isAscii(bytes) ? 'latin1' : 'utf8')
}
