// Debian's kernel under QEMU: boot to first test, per-test overhead in the VM, and how
// fast a 10 MB trace comes out of the guest (target ≤ 5 s under TCG).
import { QemuTarget } from '../dist/kernel/qemu/target.js'
import { Recorder } from '../dist/tracefs/recorder.js'
import { defineTrace } from '../dist/spec/declaration.js'

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const ms = (x) => `${x.toFixed(0)} ms`
const decl = defineTrace({ events: ['syscalls:sys_enter_openat'] })

const t0 = performance.now()
const vm = new QemuTarget({ kernel: 'debian' })
const r = new Recorder(vm)
try {
  await vm.ready()
  const booted = performance.now() - t0
  await r.record(decl, ['true'])
  const first = performance.now() - t0
  console.log(`qemu      boot (${vm.vm.accel}): ${ms(booted)}; boot to first test done: ${ms(first)}`)

  const spawner = await vm.spawner()
  const untraced = []
  for (let i = 0; i < 7; i++) {
    const s = performance.now()
    await spawner.run({ argv: ['true'] }, 10_000)
    untraced.push(performance.now() - s)
  }
  const reuse = []
  for (let i = 0; i < 7; i++) {
    const s = performance.now()
    await r.record(decl, ['true'])
    reuse.push(performance.now() - s)
  }
  console.log(`qemu      workload untraced ${ms(median(untraced))}; consecutive tests ${ms(median(reuse))} (overhead ${ms(median(reuse) - median(untraced))})`)

  await spawner.run({ shell: 'dd if=/dev/urandom of=/tmp/big bs=1M count=10 2>/dev/null' }, 60_000)
  await spawner.close()
  const s = performance.now()
  const big = await vm.readFile('/tmp/big')
  const read = performance.now() - s
  console.log(`qemu      10 MB out of the guest: ${ms(read)}, ${(big.length / 1e6 / (read / 1000)).toFixed(1)} MB/s (target ≤ 5000 ms: ${read <= 5000 ? 'met' : 'MISSED'})`)
} finally {
  await r.close()
  await vm.close()
}
