import { expect, test } from 'vitest'
import { Finder, find } from '../../src/parse/find.js'

test('find never looks past the end of the range', () => {
  expect(find('ab(c\nd(', '(', 0, 2)).toBe(-1)
  expect(find('ab(c\nd(', '(', 0, 3)).toBe(2)
  expect(find('a: b', ': ', 0, 2)).toBe(-1)
  expect(find('a: b', ': ', 0, 3)).toBe(1)
})

test('a Finder answers like find, for lines in order, for lines out of order, and across texts', () => {
  const text = 'x(1)\nno paren\nalso none\ny(2) z(3)\n'
  const lines: [number, number][] = []
  for (let from = 0; from < text.length; ) {
    const to = text.indexOf('\n', from)
    lines.push([from, to])
    from = to + 1
  }
  const paren = new Finder('(')
  const inOrder = lines.map(([from, to]) => paren.find(text, from, to))
  expect(inOrder).toEqual(lines.map(([from, to]) => find(text, '(', from, to)))
  expect(inOrder).toEqual([1, -1, -1, 25])
  // Backwards, from inside a line, and on another text of the same length.
  expect([...lines].reverse().map(([from, to]) => paren.find(text, from, to))).toEqual([25, -1, -1, 1])
  expect(paren.find(text, 26, 33)).toBe(30)
  expect(paren.find(text.replace(/\(/g, '['), 0, 4)).toBe(-1)
  expect(new Finder(' -> ').find('sys_x -> 0x3', 0, 12)).toBe(5)
})
