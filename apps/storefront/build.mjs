// Bundles src/main.tsx (and the CSS it imports) into content-hashed files under dist/assets/,
// then writes dist/index.html pointing at them. The gateway caches assets for good and
// index.html never, so a deploy is seen on the next page load.
import { readFile, rm, writeFile } from "node:fs/promises";
import { basename } from "node:path";
import * as esbuild from "esbuild";

const OUT = "dist";

await rm(OUT, { recursive: true, force: true });
const result = await esbuild.build({
  entryPoints: { app: "src/main.tsx" },
  bundle: true,
  minify: true,
  format: "esm",
  target: "es2022",
  jsx: "automatic",
  jsxImportSource: "preact",
  outdir: `${OUT}/assets`,
  entryNames: "[name]-[hash]",
  sourcemap: "linked",
  legalComments: "none",
  metafile: true,
  logLevel: "warning",
});

const outputs = Object.keys(result.metafile.outputs).map((p) => basename(p));
const script = outputs.find((f) => f.endsWith(".js"));
const style = outputs.find((f) => f.endsWith(".css"));
if (!script || !style) throw new Error(`build: expected one .js and one .css, got ${outputs.join(", ")}`);

const template = await readFile("src/index.html", "utf8");
const html = template
  .replace("<!-- style -->", `<link rel="stylesheet" href="/assets/${style}">`)
  .replace("<!-- script -->", `<script type="module" src="/assets/${script}"></script>`);
await writeFile(`${OUT}/index.html`, html);
console.log(`storefront: ${OUT}/index.html, assets/${script}, assets/${style}`);
