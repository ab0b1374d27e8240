import { existsSync } from 'node:fs'

const LIBC = ['/lib/x86_64-linux-gnu/libc.so.6', '/usr/lib/x86_64-linux-gnu/libc.so.6', '/lib/aarch64-linux-gnu/libc.so.6', '/lib64/libc.so.6', '/usr/lib64/libc.so.6', '/lib/libc.so.6']

/**
 * The C library of this machine, for uprobes on libc functions.
 * @example uprobe(libcPath(), 'open', { path: '+0(%di):string' })
 */
export function libcPath(): string {
  const found = LIBC.find((p) => existsSync(p))
  if (!found) throw new TypeError(`libcPath(): no libc.so.6 in ${LIBC.join(', ')}; pass the library's path to uprobe() yourself`)
  return found
}
