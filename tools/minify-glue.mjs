// Trunk post-build hook (Trunk.toml): in release builds, minifies the JavaScript that
// wasm-bindgen writes (Trunk's own minifier cannot parse its `export ... as default` and
// leaves it as it is) and puts each file's new hash in index.html's integrity attributes,
// which Trunk computed before this hook ran. Debug builds are left untouched.
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { minify } from "terser";

if (process.env.TRUNK_PROFILE !== "release") process.exit(0);

const staging = process.env.TRUNK_STAGING_DIR;
if (!staging) throw new Error("minify-glue: TRUNK_STAGING_DIR is not set; run it from Trunk");

const integrity = (bytes) => "sha384-" + createHash("sha384").update(bytes).digest("base64");

/** Every .js file under `dir`: the glue and the snippets of `#[wasm_bindgen(inline_js)]`. */
function scripts(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return scripts(path);
    return entry.name.endsWith(".js") ? [path] : [];
  });
}

const htmlPath = join(staging, "index.html");
let html = readFileSync(htmlPath, "utf8");
for (const path of scripts(staging)) {
  const original = readFileSync(path);
  const { code } = await minify(original.toString("utf8"), {
    module: true,
    compress: { passes: 2 },
    mangle: true,
    format: { comments: false },
  });
  const before = integrity(original);
  const after = integrity(code);
  // A stale hash would make the browser refuse the script, so every file must be found.
  if (!html.includes(before)) {
    throw new Error(`minify-glue: index.html has no integrity ${before} for ${path}`);
  }
  html = html.replaceAll(before, after);
  writeFileSync(path, code);
  console.log(`minify-glue: ${path}: ${original.length} -> ${code.length} bytes`);
}
writeFileSync(htmlPath, html);
