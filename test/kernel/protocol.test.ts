import { readFileSync } from 'node:fs'
import { expect, test } from 'vitest'
import { Op } from '../../src/kernel/qemu/protocol.js'

/** The guest agent (C) and its host side (TypeScript) number operations alike: read from agent.c, so the two cannot drift. */
test("the agent's operation numbers are protocol.ts's", () => {
  const c = readFileSync(new URL('../../src/kernel/qemu/agent.c', import.meta.url), 'utf8')
  const body = /^enum \{ ([^}]*) \};/m.exec(c)?.[1]
  expect(body, 'agent.c declares its operations in one enum { … } line').toBeDefined()
  const inC: Record<string, number> = {}
  let next = 0
  for (const item of body!.split(',').map((s) => s.trim())) {
    const [name, value] = item.split(/\s*=\s*/)
    next = value === undefined ? next : Number(value)
    inC[name] = next++
  }
  expect(inC).toEqual(Op)
})
