import { isAscii } from 'node:buffer'

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
  let carry: Buffer | undefined
  let rest = ''
  const whole = (text: string): string => {
    const last = text.lastIndexOf('\n')
    if (last === -1) return text
    onText(last === text.length - 1 ? text : text.slice(0, last + 1))
    return text.slice(last + 1)
  }
  for await (const chunk of chunks) {
    if (typeof chunk === 'string') {
      rest = whole(rest + chunk)
      continue
    }
    const bytes: Buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)
    const first = bytes.indexOf(10)
    if (first === -1) {
      carry = carry ? Buffer.concat([carry, bytes]) : bytes
      continue
    }
    let start = 0
    if (carry) {
      // The line the last chunk began: joined on its own, not by copying this whole chunk.
      const joined = Buffer.concat([carry, bytes.subarray(0, first + 1)])
      if (onBytes) onBytes(joined)
      else onText(decode(joined))
      start = first + 1
    }
    const last = bytes.lastIndexOf(10)
    if (last >= start) {
      const lines = bytes.subarray(start, last + 1)
      if (onBytes) onBytes(lines)
      else onText(decode(lines))
    }
    carry = last + 1 < bytes.length ? bytes.subarray(last + 1) : undefined
  }
  if (carry) rest += carry.toString('utf8')
  if (rest.length > 0) onText(rest)
}

/** ASCII (nearly every trace) decodes as latin1: a copy, where UTF-8 decoding validates. */
export function decode(bytes: Buffer): string {
  return bytes.toString(isAscii(bytes) ? 'latin1' : 'utf8')
}
