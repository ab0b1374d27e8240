import type { Reporter, TestModule } from 'vitest/node'

/**
 * Closes a run with the plain line CI systems read (`N passed, N failed, N skipped`) and
 * every skip with its reason, grouped, so a skipped live test is never silent.
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    let passed = 0
    let failed = 0
    let skipped = 0
    const reasons = new Map<string, string[]>()
    for (const mod of modules) {
      if (mod.state() === 'failed' && mod.errors().length > 0) failed++
      for (const test of mod.children.allTests()) {
        const result = test.result()
        if (result.state === 'passed') passed++
        else if (result.state === 'failed') failed++
        else if (result.state === 'skipped') {
          skipped++
          const note = result.note ?? (test.options.mode === 'todo' ? 'todo' : 'skipped without a reason')
          reasons.set(note, [...(reasons.get(note) ?? []), test.fullName])
        }
      }
    }
    const out: string[] = ['']
    for (const [reason, tests] of reasons) {
      out.push(`skipped (${tests.length}): ${reason}`)
      for (const t of tests.slice(0, 5)) out.push(`  - ${t}`)
      if (tests.length > 5) out.push(`  … ${tests.length - 5} more`)
    }
    const kernel = process.env.KSPEC_KERNEL_LABEL
    out.push(`${passed} passed, ${failed} failed, ${skipped} skipped${kernel ? ` (kernel: ${kernel})` : ''}`)
    process.stdout.write(out.join('\n') + '\n')
  }
}
