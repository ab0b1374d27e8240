import { TracefsError } from '../errors.js'
import type { Target } from '../kernel/target.js'
import { nearest } from '../text.js'
import type { Features } from './features.js'

const known = new WeakMap<Target, Promise<Set<string>>>()

/** Loading or unloading a module changes which functions exist: read them again next time. */
export function forgetFunctions(t: Target): void {
  known.delete(t)
}

/** Traceable function names: available_filter_functions, else /proc/kallsyms. */
function functionsOf(t: Target, f: Features): Promise<Set<string>> {
  let names = known.get(t)
  if (!names) {
    names = (async () => {
      if (f.filterFunctions) {
        const text = await t.read('available_filter_functions')
        return new Set(text.split('\n').map((l) => l.split(' ')[0]).filter(Boolean))
      }
      const text = (await t.readFile('/proc/kallsyms')).toString('latin1')
      return new Set(text.split('\n').filter((l) => /^\S+ [tTwW] /.test(l)).map((l) => l.split(' ')[2].split('\t')[0]))
    })()
    known.set(t, names)
  }
  return names
}

/**
 * Catches unknown function names before tracing, with a did-you-mean: kernels rename
 * functions between releases (do_sys_open → do_sys_openat2).
 */
export async function checkFunctions(t: Target, f: Features, globs: string[]): Promise<void> {
  const plain = globs.map((g) => g.split(':mod:')[0]).filter((g) => g && !/[*?[]/.test(g))
  if (plain.length === 0) return
  const names = await functionsOf(t, f)
  const missing = plain.filter((n) => !names.has(n))
  if (missing.length === 0) return
  const where = f.filterFunctions ? 'available_filter_functions' : '/proc/kallsyms'
  const lines = missing.map((m) => {
    const near = nearest(m, names)
    return `  ${m}: not in ${where}${near.length ? ` — did you mean ${near.join(', ')}?` : ''}`
  })
  throw new TracefsError(`${missing.length === 1 ? 'a function' : `${missing.length} functions`} of the declaration cannot be traced on ${f.release}:\n${lines.join('\n')}\nFunctions get renamed, inlined or marked notrace between kernels; use a name from ${where}.`, 'set_ftrace_filter', 'EINVAL')
}
