/**
 * RFC 6902 JSON Patch and RFC 7396 JSON Merge Patch over plain documents, plus the diff that turns a
 * before/after pair into TS 29.571 ChangeItems and into a guarded store update.
 *
 * `test` operations are checked here against the document as read, and are returned so the caller can
 * repeat them as a guard in the store filter: the write then only lands if the tested values are still
 * there (compare-and-set; the UDM uses this to advance the SQN atomically).
 *
 * Tolerated peer quirk (INTEROP §7.9): Open5GS's UDM sends `{"op":"replace","path":"PurgeFlag",...}`, a
 * path that is not a JSON pointer. A path without a leading `/` is read as a top-level member whose first
 * letter is lowercased. `replace` of a missing member behaves as `add` (Open5GS replaces `purgeFlag`
 * before it ever exists).
 */
import { clone } from '../../../store/doc.ts'

export interface PatchItem {
  op: 'add' | 'remove' | 'replace' | 'move' | 'copy' | 'test'
  path: string
  from?: string
  value?: unknown
}

export class PatchError extends Error {
  constructor(readonly kind: 'INVALID' | 'TEST_FAILED', detail: string) {
    super(detail)
    this.name = 'PatchError'
  }
}

export interface PatchResult {
  doc: Record<string, unknown>
  /** Tested pointer → value, for the guard of the store update. */
  tests: { path: string[]; value: unknown }[]
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false
  if (Array.isArray(a) !== Array.isArray(b)) return false
  if (Array.isArray(a)) {
    const bb = b as unknown[]
    return a.length === bb.length && a.every((x, i) => deepEqual(x, bb[i]))
  }
  const ka = Object.keys(a as object)
  const kb = Object.keys(b as object)
  if (ka.length !== kb.length) return false
  return ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && deepEqual((a as never)[k], (b as never)[k]))
}

/** JSON pointer → segments, with the Open5GS bare-name tolerance. */
export function parsePointer(path: string): string[] {
  if (path === '') return []
  if (!path.startsWith('/')) {
    if (!/^[A-Za-z0-9_-]+$/.test(path)) throw new PatchError('INVALID', `not a JSON pointer: ${path}`)
    return [path[0].toLowerCase() + path.slice(1)]
  }
  return path
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
}

function getAt(doc: unknown, segs: string[]): { found: boolean; value: unknown } {
  let cur: unknown = doc
  for (const s of segs) {
    if (cur === null || typeof cur !== 'object') return { found: false, value: undefined }
    if (Array.isArray(cur)) {
      const i = Number(s)
      if (!Number.isInteger(i) || i < 0 || i >= cur.length) return { found: false, value: undefined }
      cur = cur[i]
    } else {
      if (!Object.prototype.hasOwnProperty.call(cur, s)) return { found: false, value: undefined }
      cur = (cur as Record<string, unknown>)[s]
    }
  }
  return { found: true, value: cur }
}

function parentOf(doc: Record<string, unknown>, segs: string[], create: boolean): { parent: unknown; key: string } {
  if (segs.length === 0) throw new PatchError('INVALID', 'the root cannot be the target')
  let cur: unknown = doc
  for (const s of segs.slice(0, -1)) {
    if (cur === null || typeof cur !== 'object') throw new PatchError('INVALID', `path not found: /${segs.join('/')}`)
    const next = Array.isArray(cur) ? cur[Number(s)] : (cur as Record<string, unknown>)[s]
    if (next === undefined && create && !Array.isArray(cur)) {
      ;(cur as Record<string, unknown>)[s] = {}
      cur = (cur as Record<string, unknown>)[s]
    } else cur = next
  }
  if (cur === null || typeof cur !== 'object') throw new PatchError('INVALID', `path not found: /${segs.join('/')}`)
  return { parent: cur, key: segs[segs.length - 1] }
}

function addAt(doc: Record<string, unknown>, segs: string[], value: unknown): void {
  const { parent, key } = parentOf(doc, segs, true)
  if (Array.isArray(parent)) {
    const i = key === '-' ? parent.length : Number(key)
    if (!Number.isInteger(i) || i < 0 || i > parent.length) throw new PatchError('INVALID', `bad array index ${key}`)
    parent.splice(i, 0, value)
  } else (parent as Record<string, unknown>)[key] = value
}

function removeAt(doc: Record<string, unknown>, segs: string[]): unknown {
  const { parent, key } = parentOf(doc, segs, false)
  if (Array.isArray(parent)) {
    const i = Number(key)
    if (!Number.isInteger(i) || i < 0 || i >= parent.length) throw new PatchError('INVALID', `bad array index ${key}`)
    return parent.splice(i, 1)[0]
  }
  const p = parent as Record<string, unknown>
  if (!Object.prototype.hasOwnProperty.call(p, key)) throw new PatchError('INVALID', `path not found: /${segs.join('/')}`)
  const v = p[key]
  delete p[key]
  return v
}

/** Applies RFC 6902 operations to a copy of `doc`. Throws PatchError. */
export function applyJsonPatch(doc: Record<string, unknown>, ops: unknown): PatchResult {
  if (!Array.isArray(ops)) throw new PatchError('INVALID', 'a JSON patch is an array of operations')
  const out = clone(doc)
  const tests: PatchResult['tests'] = []
  for (const raw of ops) {
    const op = raw as PatchItem
    if (!op || typeof op !== 'object' || typeof op.op !== 'string' || typeof op.path !== 'string')
      throw new PatchError('INVALID', 'each operation needs op and path')
    const segs = parsePointer(op.path)
    switch (op.op) {
      case 'test': {
        const at = getAt(out, segs)
        if (!at.found || !deepEqual(at.value, op.value))
          throw new PatchError('TEST_FAILED', `test failed at ${op.path}`)
        tests.push({ path: segs, value: clone(op.value) })
        break
      }
      case 'add':
        addAt(out, segs, clone(op.value))
        break
      case 'replace': {
        if (segs.length === 0) throw new PatchError('INVALID', 'cannot replace the root')
        const at = getAt(out, segs)
        if (at.found) {
          const { parent, key } = parentOf(out, segs, false)
          if (Array.isArray(parent)) parent[Number(key)] = clone(op.value)
          else (parent as Record<string, unknown>)[key] = clone(op.value)
        } else addAt(out, segs, clone(op.value))
        break
      }
      case 'remove':
        removeAt(out, segs)
        break
      case 'move': {
        if (typeof op.from !== 'string') throw new PatchError('INVALID', 'move needs from')
        const v = removeAt(out, parsePointer(op.from))
        addAt(out, segs, v)
        break
      }
      case 'copy': {
        if (typeof op.from !== 'string') throw new PatchError('INVALID', 'copy needs from')
        const at = getAt(out, parsePointer(op.from))
        if (!at.found) throw new PatchError('INVALID', `path not found: ${op.from}`)
        addAt(out, segs, clone(at.value))
        break
      }
      default:
        throw new PatchError('INVALID', `unknown op ${String((op as { op: unknown }).op)}`)
    }
  }
  return { doc: out, tests }
}

/** RFC 7396 JSON Merge Patch on a copy. */
export function applyMergePatch(doc: Record<string, unknown>, patch: unknown): Record<string, unknown> {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch))
    throw new PatchError('INVALID', 'a merge patch is a JSON object')
  const merge = (target: unknown, p: unknown): unknown => {
    if (p === null || typeof p !== 'object' || Array.isArray(p)) return clone(p)
    const t: Record<string, unknown> =
      target !== null && typeof target === 'object' && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {}
    for (const [k, v] of Object.entries(p as Record<string, unknown>)) {
      if (v === null) delete t[k]
      else t[k] = merge(t[k], v)
    }
    return t
  }
  return merge(doc, patch) as Record<string, unknown>
}

export type ChangeType = 'ADD' | 'REMOVE' | 'REPLACE'
/** TS 29.571 ChangeItem. */
export interface ChangeItem {
  op: ChangeType
  path: string
  origValue?: unknown
  newValue?: unknown
}

const escapeSeg = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1')
const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v)

/** Leaf-level differences (arrays compared whole), as TS 29.571 ChangeItems with JSON pointers. */
export function diffChanges(before: unknown, after: unknown, base = ''): ChangeItem[] {
  if (deepEqual(before, after)) return []
  if (isObj(before) && isObj(after)) {
    const out: ChangeItem[] = []
    for (const k of new Set([...Object.keys(before), ...Object.keys(after)])) {
      const p = `${base}/${escapeSeg(k)}`
      if (!(k in after)) out.push({ op: 'REMOVE', path: p, origValue: before[k] })
      else if (!(k in before)) out.push({ op: 'ADD', path: p, newValue: after[k] })
      else out.push(...diffChanges(before[k], after[k], p))
    }
    return out
  }
  if (before === undefined) return [{ op: 'ADD', path: base, newValue: after }]
  if (after === undefined) return [{ op: 'REMOVE', path: base, origValue: before }]
  return [{ op: 'REPLACE', path: base, origValue: before, newValue: after }]
}

/**
 * The store update that turns `before` into `after` touching only what changed ($set/$unset on dotted
 * paths, arrays whole), so concurrent writers of other fields are not overwritten.
 */
export function diffToUpdate(
  before: Record<string, unknown>,
  after: Record<string, unknown>,
): { $set?: Record<string, unknown>; $unset?: Record<string, unknown> } {
  const $set: Record<string, unknown> = {}
  const $unset: Record<string, unknown> = {}
  const walk = (b: unknown, a: unknown, prefix: string) => {
    if (deepEqual(b, a)) return
    if (isObj(b) && isObj(a) && Object.keys(a).length > 0) {
      for (const k of new Set([...Object.keys(b), ...Object.keys(a)])) {
        const p = prefix ? `${prefix}.${k}` : k
        if (!(k in a)) $unset[p] = ''
        else walk(b[k], a[k], p)
      }
      return
    }
    $set[prefix] = a
  }
  walk(before, after, '')
  const u: { $set?: Record<string, unknown>; $unset?: Record<string, unknown> } = {}
  if (Object.keys($set).length) u.$set = $set
  if (Object.keys($unset).length) u.$unset = $unset
  return u
}

/** Tested values as dotted-path equality filters (objects flattened to their leaves). */
export function testsToFilter(tests: PatchResult['tests']): Record<string, unknown> {
  const f: Record<string, unknown> = {}
  const put = (path: string, v: unknown) => {
    if (isObj(v) && Object.keys(v).length > 0) for (const [k, x] of Object.entries(v)) put(`${path}.${k}`, x)
    else f[path] = v
  }
  for (const t of tests) put(t.path.join('.'), t.value)
  return f
}
