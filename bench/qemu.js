// Debian's kernel under QEMU: boot to first test (the host's root shared, and the
// initramfs alone), per-test overhead in the VM, how fast a 10 MB trace comes out of the
// guest (target ≤ 5 s under TCG), and the example specs' wall time against the boot and
// the tests' own time (target ≤ 1.2 ×).
import { execa } from 'execa'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { QemuTarget } from '../dist/kernel/qemu/target.js'
import { Recorder } from '../dist/tracefs/recorder.js'
import { defineTrace } from '../dist/spec/declaration.js'

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const ms = (x) => `${x.toFixed(0)} ms`
const decl = defineTrace({ events: ['syscalls:sys_enter_openat'] })

// The boot stage alone (busybox) against the shared root's second stage (9p, overlay, switch_root).
for (const shareRoot of [false, true]) {
  const t = performance.now()
  const alone = new QemuTarget({ kernel: 'debian', shareRoot })
  const rr = new Recorder(alone)
  try {
    await alone.ready()
    await rr.record(decl, ['true'])
    console.log(`qemu      boot to first test done, ${shareRoot ? "the host's root shared" : 'the initramfs alone   '}: ${ms(performance.now() - t)} (boot ${ms(alone.booted.ms)})`)
  } finally {
    await rr.close()
    await alone.close()
  }
}

// The example specs on --kernel debian: wall time against boot + the tests' own time
// (the first test's time includes its wait for the boot, so the sum of test times is both).
{
  const dir = mkdtempSync(join(tmpdir(), 'kspec-bench-'))
  try {
    const out = join(dir, 'report.json')
    const t = performance.now()
    const r = await execa('node', ['bin/kspec.js', 'run', 'specs', '--kernel', 'debian', '--reporter', 'json', '--outputFile', out], { reject: false, env: { CI: 'true', NO_COLOR: '1' } })
    const wall = performance.now() - t
    const report = JSON.parse(readFileSync(out, 'utf8'))
    const tests = report.testResults.flatMap((f) => f.assertionResults)
    const own = tests.reduce((n, a) => n + (a.duration ?? 0), 0)
    const boots = /^qemu: (\d+) boots? \((\w+)\), ([\d.]+) s each/m.exec(r.stdout)
    const ratio = wall / own
    console.log(`qemu      example specs (${report.testResults.length} files, ${tests.length} tests, exit ${r.exitCode}): wall ${ms(wall)}; boot + tests' own ${ms(own)} (${boots ? `${boots[1]} boot(s) of ${boots[3]} s` : 'no boot reported'}); ${ratio.toFixed(2)} × (target ≤ 1.2: ${ratio <= 1.2 ? 'met' : 'MISSED'})`)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

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
