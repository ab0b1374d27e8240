/**
 * A tracefs-style glob (`*`, `?`) as an anchored RegExp; every other character is literal.
 * @example globRegExp('sys_enter_*').test('sys_enter_openat') // true
 */
export function globRegExp(glob: string): RegExp {
  return new RegExp('^' + glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.') + '$')
}
