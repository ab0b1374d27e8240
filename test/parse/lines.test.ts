import { expect, test } from 'vitest'
import { forEachLine, WholeLines } from '../../src/parse/lines.js'

const collect = async (chunks: (string | Uint8Array)[]): Promise<string[]> => {
  const out: string[] = []
  await forEachLine(chunks, (s, from, to) => out.push(s.slice(from, to)))
  return out
}

test('lines split across chunks, multi-byte characters cut anywhere, CRLF, no final newline', async () => {
  const text = 'first\r\nWeb Content-2001 é → ü\nthird line\n\nlast'
  const bytes = Buffer.from(text)
  const expected = ['first', 'Web Content-2001 é → ü', 'third line', '', 'last']
  // Every way of cutting the bytes in two, and in one-byte chunks.
  for (let cut = 0; cut <= bytes.length; cut++) {
    expect(await collect([bytes.subarray(0, cut), bytes.subarray(cut)])).toEqual(expected)
  }
  expect(await collect([...bytes].map((b) => Uint8Array.of(b)))).toEqual(expected)
  expect(await collect([text.slice(0, 9), text.slice(9)])).toEqual(expected)
})

test('an ASCII chunk and a UTF-8 chunk in one stream read the same as the text whole', async () => {
  const ascii = Buffer.from('  ls-1 [000] ..... 1.0: a\n'.repeat(3))
  const utf8 = Buffer.from('  Wéb-2 [001] ..... 2.0: ü\n')
  expect(await collect([ascii, utf8, ascii])).toEqual((ascii.toString() + utf8.toString() + ascii.toString()).split('\n').slice(0, -1))
})

test('a line cut by the end of a chunk survives the chunk being read into again (readFileChunks reuses its memory)', () => {
  const lines: string[] = []
  const whole = new WholeLines((s) => lines.push(...s.split('\n').slice(0, -1)))
  const memory = Buffer.from('first\nsecond half')
  whole.push(memory)
  memory.write('XXXXXXXXXXXXXXXXX')
  const noNewline = Buffer.from('-way')
  whole.push(noNewline)
  noNewline.write('YYYY')
  whole.push(Buffer.from(' through\n'))
  // A chunk without a newline after whole lines: nothing carried yet.
  const start = Buffer.from('la')
  whole.push(start)
  start.write('ZZ')
  whole.push(Buffer.from('st\n'))
  whole.end()
  expect(lines).toEqual(['first', 'second half-way through', 'last'])
})
