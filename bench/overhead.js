// Per-test overhead on this machine's tracefs: arm + barrier + collect + teardown around
// an empty workload, next to the same workload untraced and the kernel's own floors
// measured in the same run. Needs root.
import { HostTarget } from '../dist/kernel/host.js'
import { hostSpawner } from '../dist/kernel/spawner.js'
import { Recorder } from '../dist/tracefs/recorder.js'
import { defineTrace } from '../dist/spec/declaration.js'

const N = Number(process.env.KSPEC_BENCH_N ?? 15)
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const time = async (fn) => {
  const t0 = performance.now()
  await fn()
  return performance.now() - t0
}

const host = new HostTarget()
await host.ready()
const decl = defineTrace({ events: ['syscalls:sys_enter_openat'] })

// The workload untraced, through the same spawner.
const spawner = await hostSpawner()
const untraced = []
for (let i = 0; i < N; i++) untraced.push(await time(() => spawner.run({ argv: ['true'] }, 10_000)))
await spawner.close()

// Kernel floors: mkdir, enable then disable one syscall tracepoint, rmdir; and rmdir of
// an instance that has a pid filter, which frees the pid list after an RCU grace period.
const floors = { mkdir: [], event: [], rmdir: [], rmdirPid: [] }
for (let i = 0; i < 5; i++) {
  const dir = `instances/kspec_${process.pid}_floor`
  floors.mkdir.push(await time(() => host.mkdir(dir)))
  floors.event.push(await time(async () => {
    await host.write(`${dir}/events/syscalls/sys_enter_openat/enable`, '1')
    await host.write(`${dir}/events/syscalls/sys_enter_openat/enable`, '0')
  }))
  floors.rmdir.push(await time(() => host.rmdir(dir)))
  await host.mkdir(dir)
  await host.write(`${dir}/set_event_pid`, String(process.pid))
  floors.rmdirPid.push(await time(() => host.rmdir(dir)))
}
const floor = median(floors.mkdir) + median(floors.event) + median(floors.rmdir)
const scopedFloor = floor - median(floors.rmdir) + median(floors.rmdirPid)

const first = []
const firstArmRun = []
for (let i = 0; i < 5; i++) {
  const r = new Recorder(host)
  await r.features()
  const t0 = performance.now()
  await r.record(decl, ['true'])
  firstArmRun.push(performance.now() - t0)
  await r.close()
  first.push(performance.now() - t0)
}

const r = new Recorder(host)
await r.record(decl, ['true'])
const reuse = []
for (let i = 0; i < N; i++) reuse.push(await time(() => r.record(decl, ['true'])))
await r.close()

const w = median(untraced)
const f = median(first) - w
const c = median(reuse) - w
const ms = (x) => `${x.toFixed(1)} ms`
console.log(`overhead  workload untraced (true, via the spawner): ${ms(w)}`)
console.log(`overhead  kernel floors: mkdir ${ms(median(floors.mkdir))} + enable/disable ${ms(median(floors.event))} + rmdir ${ms(median(floors.rmdir))} = ${ms(floor)}; rmdir of a pid-scoped instance ${ms(median(floors.rmdirPid))}`)
console.log(`overhead  first test of a declaration, arm + barrier + collect (kspec defers teardown to the worker's end): ${ms(median(firstArmRun) - w)} over the workload`)
console.log(`overhead  first test of a declaration, arm + barrier + collect + teardown: ${ms(f)} over the workload (target ≤ floors + 10 = ${ms(floor + 10)}: ${f <= floor + 10 ? 'met' : 'MISSED'}; ≤ floors with the pid-scoped rmdir + 10 = ${ms(scopedFloor + 10)}: ${f <= scopedFloor + 10 ? 'met' : 'MISSED'})`)
console.log(`overhead  consecutive tests, same declaration: median ${ms(c)} over the workload (target ≤ 10 ms: ${c <= 10 ? 'met' : 'MISSED'})`)
