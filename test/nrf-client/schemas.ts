/**
 * 3GPP schema validation for the NRF test double, over the shared helper (test/helpers/schemas.ts):
 * undefined when ../shared/3gpp is absent (the double then checks nothing), else the error list.
 */
import { has3gppSpecs, validate3gpp as validate } from '../helpers/schemas.ts'

export { has3gppSpecs }

export async function validate3gpp(file: string, schemaName: string, value: unknown): Promise<string[] | undefined> {
  if (!has3gppSpecs()) return undefined
  return validate(file, schemaName, value)
}
