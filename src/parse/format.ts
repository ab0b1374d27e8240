/**
 * An event's `format` file (`events/<system>/<event>/format`): field names with their C
 * types, used to type the values the text prints.
 */
export interface FieldFormat {
  name: string
  type: string
  size: number
  signed: boolean
  /** `char[]`, `char name[16]` or `__data_loc char[]`: always a string. */
  string: boolean
}

export interface EventFormat {
  name: string
  id: number | undefined
  fields: Map<string, FieldFormat>
}

/**
 * Parses the text of a `format` file.
 * @example parseFormat(readFileSync('events/sched/sched_switch/format', 'utf8')).fields.get('prev_pid')
 */
export function parseFormat(text: string): EventFormat {
  const name = /^name: (\S+)/m.exec(text)?.[1]
  if (!name) throw new TypeError(`not an ftrace event format: no "name:" line in ${JSON.stringify(text.slice(0, 60))}`)
  const id = /^ID: (\d+)/m.exec(text)?.[1]
  const fields = new Map<string, FieldFormat>()
  for (const m of text.matchAll(/field:([^;]+);\s*offset:\d+;\s*size:(\d+);\s*signed:(\d);/g)) {
    const decl = m[1].trim()
    const field = /^(.*?)\s*([A-Za-z_]\w*)\s*(\[[^\]]*\])?$/.exec(decl)
    if (!field) continue
    const type = field[1] + (field[3] ? '[]' : '')
    fields.set(field[2], {
      name: field[2],
      type,
      size: Number(m[2]),
      signed: m[3] === '1',
      string: /\bchar\b/.test(field[1]) && (field[3] !== undefined || type.endsWith('[]')),
    })
  }
  return { name, id: id === undefined ? undefined : Number(id), fields }
}
