// Draws invoices with microinvoice (npm, PDFKit): `node microinvoice_render.js SPECS.json`,
// where SPECS.json is a list of {"file": OUT.pdf, "options": <microinvoice's options>} written
// by invoices.py. The module comes from NODE_PATH (the wrapper's own npm folder).
"use strict";
const fs = require("fs");
const MicroInvoice = require("microinvoice");

async function main() {
  const specs = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
  for (const spec of specs) {
    await new MicroInvoice(spec.options).generate(spec.file);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
