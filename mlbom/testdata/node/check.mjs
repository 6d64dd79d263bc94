// check.mjs KIND FILE [SCHEMA]: validates a BOM written by mlsec with an
// implementation independent of mlsec's Go code. KIND "cyclonedx" uses
// CycloneDX's own JavaScript library (strict JSON validation against its
// bundled 1.6 schema); KIND "spdx" compiles the SPDX 3.0.1 JSON Schema
// (draft 2020-12) with Ajv. Exit 0: valid; 1: invalid (errors on stderr);
// 2: could not run.
import { readFileSync } from 'node:fs'

const [kind, file, schemaFile] = process.argv.slice(2)
const doc = readFileSync(file, 'utf8')
try {
  if (kind === 'cyclonedx') {
    const CDX = await import('@cyclonedx/cyclonedx-library')
    const v = new CDX.Validation.JsonStrictValidator(CDX.Spec.Version.v1dot6)
    const errors = await v.validate(doc)
    if (errors === null) process.exit(0)
    console.error(JSON.stringify(errors, null, 2))
    process.exit(1)
  } else if (kind === 'spdx') {
    const { default: Ajv2020 } = await import('ajv/dist/2020.js')
    const { default: addFormats } = await import('ajv-formats')
    const ajv = new Ajv2020({ strict: false, allErrors: true })
    addFormats(ajv)
    const validate = ajv.compile(JSON.parse(readFileSync(schemaFile, 'utf8')))
    if (validate(JSON.parse(doc))) process.exit(0)
    console.error(JSON.stringify(validate.errors, null, 2))
    process.exit(1)
  }
  console.error(`unknown kind ${kind}`)
  process.exit(2)
} catch (e) {
  console.error(String(e && e.stack || e))
  process.exit(2)
}
