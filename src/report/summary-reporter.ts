import type { Reporter, SerializedError, TestModule, Vitest } from 'vitest/node'
import type { KspecMeta } from './meta.js'
import type {} from '../config/settings.js'

/**
 * Closes a run with the plain line CI systems read (`N passed, N failed, N skipped`) and
 * every skip with its reason, grouped, so a skipped live test is never silent.
 */
export default class SummaryReporter implements Reporter {
  /**
   * vitest keeps transformed modules in a folder of its own under the temporary folder
   * and removes it when it closes: a `kspec run` ended by a signal never closes. Its path
   * goes where kspec run's signal handler and an orphaned worker can remove it.
   */
  #kernel: string | undefined

  onInit(vitest: Vitest): void {
    this.#kernel = vitest.getRootProject().getProvidedContext().kspec?.kernelLabel
    const tmp = (vitest as unknown as { _tmpDir?: string })._tmpDir
    if (typeof tmp === 'string') process.env.KSPEC_VITEST_TMP = tmp
  }

  onTestRunEnd(modules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<SerializedError> = []): void {
    let passed = 0
    let failed = 0
    let skipped = 0
    let incomplete = 0
    let broken = 0
    const boots: { ms: number; accel: string; fallback?: string }[] = []
    const reasons = new Map<string, string[]>()
    const unfinished: string[] = []
    // Per folder (test/qemu, test/tracefs, specs): how many live tests ran where.
    const areas = new Map<string, [number, number, number]>()
    for (const mod of modules) {
      const area = mod.relativeModuleId.split('/').slice(0, -1).join('/') || '.'
      const counts = areas.get(area) ?? [0, 0, 0]
      areas.set(area, counts)
      if (mod.state() === 'failed' && mod.errors().length > 0) {
        failed++
        counts[1]++
      }
      for (const test of mod.children.allTests()) {
        const result = test.result()
        const boot = test.meta().kspec?.boot
        if (boot) boots.push(boot)
        if (result.state === 'passed') {
          passed++
          counts[0]++
        } else if (result.state === 'failed') {
          failed++
          counts[1]++
          const meta: KspecMeta | undefined = test.meta().kspec
          if (meta?.broken) broken++
          else if (meta?.incomplete) incomplete++
        } else if (result.state === 'pending') {
          // Never finished: its worker crashed or was killed under it.
          failed++
          counts[1]++
          unfinished.push(test.fullName)
        } else if (result.state === 'skipped') {
          skipped++
          counts[2]++
          const note = result.note ?? (test.options.mode === 'todo' ? 'todo' : 'skipped without a reason')
          reasons.set(note, [...(reasons.get(note) ?? []), test.fullName])
        }
      }
    }
    // Errors outside any test (a worker that exited unexpectedly, a crash between tests) fail the run.
    failed += unhandledErrors.length
    const out: string[] = ['']
    for (const e of unhandledErrors) {
      const cause = (e as { cause?: { message?: string } }).cause?.message
      const said = [e.message, cause].filter(Boolean).map((m) => String(m).split('\n')[0]).join(': ')
      out.push(`failed outside any test: ${said}${/exited unexpectedly/.test(said) ? ' (a test worker crashed or was killed; what it armed is removed at the end of the run)' : ''}`)
    }
    if (unfinished.length) {
      out.push(`failed (${unfinished.length}): did not finish (its worker ended under it)`)
      for (const t of unfinished.slice(0, 5)) out.push(`  - ${t}`)
    }
    if (areas.size > 1) for (const [area, [p, f, s]] of [...areas].sort()) out.push(`${area}: ${p} passed, ${f} failed, ${s} skipped`)
    for (const [reason, tests] of reasons) {
      out.push(`skipped (${tests.length}): ${reason}`)
      for (const t of tests.slice(0, 5)) out.push(`  - ${t}`)
      if (tests.length > 5) out.push(`  … ${tests.length - 5} more`)
    }
    if (boots.length) {
      const all = boots.reduce((s, b) => s + b.ms, 0)
      const accel = [...new Set(boots.map((b) => b.accel))].join('/')
      out.push(`qemu: ${boots.length} boot${boots.length === 1 ? '' : 's'} (${accel}), ${(all / boots.length / 1000).toFixed(1)} s each on average, ${(all / 1000).toFixed(1)} s in all (the VMs are kept for the run and lent to each spec file in turn)`)
      for (const why of new Set(boots.flatMap((b) => (b.fallback ? [b.fallback] : [])))) out.push(`qemu: the guest runs busybox from its initramfs, not the host's programs: sharing the host root failed: ${why}`)
    }
    const kernel = this.#kernel
    const verdicts = [incomplete ? `, ${incomplete} incomplete` : '', broken ? `, ${broken} broken` : ''].join('')
    out.push(`${passed} passed, ${failed} failed, ${skipped} skipped${verdicts}${kernel ? ` (kernel: ${kernel})` : ''}`)
    process.stdout.write(out.join('\n') + '\n')
  }
}
