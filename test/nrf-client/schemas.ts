/**
 * 3GPP schema validation for the NRF test double: `test/helpers/schemas.ts` (the store helper's
 * `validate3gpp`) when it exists, else a small ajv loader over `../shared/3gpp/` of our own.
 * Both answer a list of error strings ([] when valid), or undefined when the 3GPP folder is absent.
 */
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import AjvModule from 'ajv'
import addFormatsModule from 'ajv-formats'
import { parse as parseYaml } from 'yaml'

const here = path.dirname(fileURLToPath(import.meta.url))
export const SPECS_DIR = path.resolve(here, '../../../shared/3gpp')

export function has3gppSpecs(): boolean {
  return existsSync(path.join(SPECS_DIR, 'TS29510_Nnrf_NFManagement.yaml'))
}

type Validate = (file: string, schemaName: string, value: unknown) => string[]

let helper: Validate | null | undefined

async function loadHelper(): Promise<Validate | null> {
  if (helper !== undefined) return helper
  const file = path.resolve(here, '../helpers/schemas.ts')
  helper = null
  if (existsSync(file)) {
    try {
      const mod = (await import(pathToFileURL(file).href)) as { validate3gpp?: Validate }
      if (typeof mod.validate3gpp === 'function') helper = mod.validate3gpp
    } catch {
      helper = null
    }
  }
  return helper
}

const Ajv = (AjvModule as unknown as { default: typeof AjvModule }).default ?? AjvModule
const addFormats = (addFormatsModule as unknown as { default: typeof addFormatsModule }).default ?? addFormatsModule
const BASE = 'https://3gpp.invalid/'
let ajv: InstanceType<typeof Ajv> | undefined
const loaded = new Set<string>()
const compiled = new Map<string, ReturnType<InstanceType<typeof Ajv>['compile']>>()

function loadFile(a: InstanceType<typeof Ajv>, file: string): void {
  if (loaded.has(file)) return
  loaded.add(file)
  const text = readFileSync(path.join(SPECS_DIR, file), 'utf8')
  // A few 3GPP files have YAML slips (e.g. a stray quote in TS29520) that the strict parser refuses;
  // only their components matter here, so parse leniently and skip what still fails.
  let doc: Record<string, unknown>
  try {
    doc = parseYaml(text, { strict: false, uniqueKeys: false }) as Record<string, unknown>
  } catch {
    doc = {}
  }
  a.addSchema({ $id: BASE + file, components: doc.components ?? {} })
  for (const m of text.matchAll(/(TS[0-9A-Za-z_\-]+\.yaml)#/g)) loadFile(a, m[1])
}

function ownValidate(file: string, schemaName: string, value: unknown): string[] {
  if (!ajv) {
    ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true })
    addFormats(ajv)
  }
  const key = `${file}#${schemaName}`
  let v = compiled.get(key)
  if (!v) {
    loadFile(ajv, file)
    for (let i = 0; ; i++) {
      try {
        v = ajv.compile({ $ref: `${BASE}${file}#/components/schemas/${schemaName}` })
        break
      } catch (err) {
        // Formats the 3GPP files use that ajv-formats lacks: accept them.
        const m = /unknown format "([^"]+)"/.exec((err as Error).message)
        if (!m || i > 20) throw err
        ajv.addFormat(m[1], true)
      }
    }
    compiled.set(key, v)
  }
  if (v(value)) return []
  return (v.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`)
}

/** Errors of `value` against `schemaName` of `../shared/3gpp/<file>`; undefined without the folder. */
export async function validate3gpp(file: string, schemaName: string, value: unknown): Promise<string[] | undefined> {
  if (!has3gppSpecs()) return undefined
  const h = await loadHelper()
  return h ? h(file, schemaName, value) : ownValidate(file, schemaName, value)
}
