const isDigit = (c: number): boolean => c >= 48 && c <= 57

/**
 * `370.202008` or `3` between from and to, without cutting a substring; NaN unless the
 * whole range is the number. One division of exact integers rounds correctly, where
 * whole + frac / scale would not.
 * @example parseDecimal('x 1.5 y', 2, 5) // 1.5
 */
export function parseDecimal(s: string, from: number, to: number): number {
  let v = 0
  let i = from
  while (i < to && isDigit(s.charCodeAt(i))) v = v * 10 + s.charCodeAt(i++) - 48
  if (i === from) return NaN
  if (i < to && s.charCodeAt(i) === 46 /* . */) {
    let scale = 1
    i++
    while (i < to && isDigit(s.charCodeAt(i))) {
      v = v * 10 + s.charCodeAt(i++) - 48
      scale *= 10
    }
    v /= scale
  }
  return i === to ? v : NaN
}
