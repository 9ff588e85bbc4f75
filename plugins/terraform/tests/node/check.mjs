// Checks generated Terraform files with HashiCorp's HCL library (the Go
// hclsyntax parser and hclwrite formatter, compiled to WebAssembly and
// published on npm by CDKTF):
//   node check.mjs <dir>...
// Every *.tf file (and terraform.tfvars.example) under each dir must parse,
// and must be a fixed point of `format` (what `terraform fmt` writes).
// Prints one JSON object: {"files": N, "problems": [...], "parsed": {path: json}}
// and exits 1 when there is a problem.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { format } from "@cdktf/hcl-tools";
import { parse } from "@cdktf/hcl2json";

function walk(dir, out) {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, out);
    else if (name.endsWith(".tf") || name === "terraform.tfvars.example") out.push(path);
  }
  return out;
}

function firstDifference(a, b) {
  const la = a.split("\n");
  const lb = b.split("\n");
  for (let i = 0; i < Math.max(la.length, lb.length); i++) {
    if (la[i] !== lb[i]) return `line ${i + 1}: generated ${JSON.stringify(la[i])}, formatted ${JSON.stringify(lb[i])}`;
  }
  return "";
}

const problems = [];
const parsed = {};
let files = 0;
for (const dir of process.argv.slice(2)) {
  for (const path of walk(dir, [])) {
    files++;
    const text = readFileSync(path, "utf8");
    try {
      parsed[path] = await parse(path.endsWith(".example") ? "terraform.tfvars" : path, text);
    } catch (e) {
      problems.push({ path, problem: `does not parse: ${String(e).slice(0, 500)}` });
      continue;
    }
    const formatted = await format(text);
    if (formatted !== text) {
      problems.push({ path, problem: `not formatted as terraform fmt would: ${firstDifference(text, formatted)}` });
    }
  }
}
console.log(JSON.stringify({ files, problems, parsed }));
process.exit(problems.length ? 1 : 0);
