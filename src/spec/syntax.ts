/**
 * What each tracefs control file's syntax allows, checked before anything is written:
 * kspec runs as root, and one string with a newline or a `#` in `uprobe_events` defines
 * or deletes probes nobody declared. Each check returns what is wrong, or undefined.
 */

/** Any control character: a newline ends a command in every tracefs file, NUL ends a C string. */
const CONTROL = /[\x00-\x1f\x7f]/

const controlProblem = (s: string): string | undefined => {
  const m = CONTROL.exec(s)
  return m ? `it holds the control character ${JSON.stringify(m[0])} at ${m.index}, and a tracefs file takes one command per line` : undefined
}

/**
 * An event filter or a trigger's text: one line, quotes closed, parentheses balanced, and
 * no `#` outside a quoted string (the kernel's own parsers stop or misread there).
 */
export function expressionProblem(s: string): string | undefined {
  const control = controlProblem(s)
  if (control) return control
  let quote = ''
  let depth = 0
  for (let i = 0; i < s.length; i++) {
    const c = s[i]
    if (quote) {
      if (c === '\\') i++
      else if (c === quote) quote = ''
    } else if (c === '"' || c === "'") quote = c
    else if (c === '(') depth++
    else if (c === ')' && --depth < 0) return `the ")" at ${i} closes nothing`
    else if (c === '#') return `the "#" at ${i} is outside a quoted string`
  }
  if (quote) return `the ${quote} quote is never closed`
  if (depth > 0) return `${depth} "(" never closed`
  return undefined
}

/**
 * A kprobe's place, as kprobe_events takes it: `[MOD:]SYMBOL[+OFFSET]` or an address.
 * Symbols may hold dots (`foo.isra.0`, `bar.cold`).
 */
const KPROBE_PLACE = /^(?:[A-Za-z_][\w-]*:)?[A-Za-z_.][\w.$]*(?:\+(?:0x[0-9a-fA-F]+|\d+))?$|^(?:0x)?[0-9a-fA-F]+$/

export function kprobePlaceProblem(s: string): string | undefined {
  return KPROBE_PLACE.test(s) ? undefined : 'a kprobe goes on a kernel function: SYMBOL, SYMBOL+OFFSET, MODULE:SYMBOL or an address (e.g. do_sys_openat2, vfs_read+0x10)'
}

/**
 * A uprobe's binary: an absolute path that uprobe_events can hold. Its syntax splits on
 * whitespace, ends the line at `#`, takes the last `:` as the offset's and `(` as a
 * reference counter's.
 */
export function uprobePathProblem(s: string): string | undefined {
  const control = controlProblem(s)
  if (control) return control
  if (!s.startsWith('/')) return 'a uprobe needs the binary\'s absolute path on the target (e.g. /usr/bin/cat)'
  const bad = /[\s#:()%]/.exec(s)
  if (bad) return `uprobe_events cannot hold a path with ${JSON.stringify(bad[0])} (at ${bad.index}): make a link to the binary at a path without whitespace, #, :, ( ) or %, and probe that`
  return undefined
}

/** `events/` names that are files, not event systems or events: `sched:enable` would write into a file. */
export const EVENT_FILES = { system: ['enable', 'header_event', 'header_page'], event: ['enable', 'filter', 'trigger'] }
