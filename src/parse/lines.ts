import { isAscii } from 'node:buffer'

/**
 * Splits a stream of chunks into lines without ever holding the whole text; each line is
 * handed over as a range of the decoded chunk, so the caller decides what to cut out. Bytes are
 * decoded up to the last newline of each chunk, so a multi-byte character is never cut.
 * Carriage returns from serial consoles are dropped.
 */
export async function forEachLine(chunks: AsyncIterable<string | Uint8Array> | Iterable<string | Uint8Array>, onLine: (text: string, from: number, to: number) => void): Promise<void> {
  let carry: Buffer | undefined
  let rest = ''
  for await (const chunk of chunks) {
    let text: string
    if (typeof chunk === 'string') {
      text = rest + chunk
    } else {
      const bytes: Buffer = carry ? Buffer.concat([carry, chunk]) : Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)
      const last = bytes.lastIndexOf(10)
      if (last === -1) {
        carry = bytes
        continue
      }
      carry = last + 1 < bytes.length ? bytes.subarray(last + 1) : undefined
      // ASCII (nearly every trace) decodes as latin1: a copy, where UTF-8 decoding validates.
      const line = bytes.subarray(0, last + 1)
      text = line.toString(isAscii(line) ? 'latin1' : 'utf8')
    }
    let start = 0
    let nl = text.indexOf('\n')
    while (nl !== -1) {
      onLine(text, start, nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl)
      start = nl + 1
      nl = text.indexOf('\n', start)
    }
    rest = text.slice(start)
  }
  if (carry) rest += carry.toString('utf8')
  if (rest.length > 0) onLine(rest, 0, rest.endsWith('\r') ? rest.length - 1 : rest.length)
}
