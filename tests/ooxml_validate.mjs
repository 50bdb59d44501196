// Validates .xlsx files with the Open XML SDK (the validator Office uses), compiled to WebAssembly
// in the npm package @ooxml-tools/validate. Used by tests/test_ooxml.py.
//   node tests/ooxml_validate.mjs <path to the package's dist/npm/index.js> <office version> <file>...
// Prints one JSON object: {file: [finding, …]}; an empty list means the file is valid.
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const [index, versie, ...bestanden] = process.argv.slice(2);
const { default: validate } = await import(pathToFileURL(index).href);
const uit = {};
for (const bestand of bestanden) {
  uit[bestand] = await validate(new Uint8Array(readFileSync(bestand)), "xlsx", versie);
}
console.log(JSON.stringify(uit));
process.exit(0);
