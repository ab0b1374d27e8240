import { afterAll, describe, expect, test } from 'vitest'
import { HostTarget } from '../../src/kernel/host.js'
import { QemuTarget } from '../../src/kernel/qemu/target.js'
import type { Spawner, Target } from '../../src/kernel/target.js'
import { decodeStatus, KILL_GRACE_MS } from '../../src/kernel/workload.js'

test('a wait status decodes to an exit code or a signal named as Node names it', () => {
  expect(decodeStatus(3 << 8)).toEqual({ exitCode: 3, signal: undefined })
  expect(decodeStatus(15)).toEqual({ exitCode: undefined, signal: 'SIGTERM' })
  expect(decodeStatus(9 | 0x80)).toEqual({ exitCode: undefined, signal: 'SIGKILL' })
})

/**
 * One contract for workload control on both targets (src/kernel/workload.ts): the host's
 * spawner and the guest agent's give the same results for the same workloads. Live: the
 * host's processes, and Debian's kernel booted under QEMU.
 */
const targets: [string, () => Target][] = [
  ['host', () => new HostTarget()],
  ['debian under QEMU', () => new QemuTarget({ kernel: 'debian' })],
]

describe.each(targets)('workload control on %s', (_, make) => {
  const target = make()
  let spawner: Spawner
  afterAll(async () => {
    await spawner?.close()
    await target.close()
  })

  test('argv and shell commands, exit codes, a signal by its name', async () => {
    spawner = await target.spawner()
    expect(await spawner.run({ argv: ['sh', '-c', 'echo out; echo err >&2; exit 3'] }, 30_000)).toMatchObject({ exitCode: 3, signal: undefined, stdout: 'out\n', stderr: 'err\n', timedOut: false })
    expect(await spawner.run({ shell: 'kill -TERM $$' }, 30_000)).toMatchObject({ exitCode: undefined, signal: 'SIGTERM', timedOut: false })
  }, 120_000)

  test('past its timeout: SIGTERM; one that ignores it is killed after the grace period', async () => {
    // argv, not a shell: a shell that has forked sleep exits 143 when the signal reaches sleep first.
    expect(await spawner.run({ argv: ['sleep', '30'] }, 300)).toMatchObject({ signal: 'SIGTERM', timedOut: true })
    const started = Date.now()
    const stubborn = await spawner.run({ shell: "trap '' TERM; sleep 30" }, 300)
    expect(stubborn).toMatchObject({ signal: 'SIGKILL', timedOut: true })
    expect(Date.now() - started).toBeGreaterThanOrEqual(300 + KILL_GRACE_MS - 50)
  }, 60_000)

  test('a prepared job cancelled before it starts never runs', async () => {
    const job = await spawner.prepare({ shell: 'echo ran' }, 30_000)
    expect(job.pid).toBeGreaterThan(0)
    await job.cancel()
    expect(await spawner.run({ argv: ['echo', 'next'] }, 30_000)).toMatchObject({ exitCode: 0, stdout: 'next\n' })
  }, 60_000)
})
