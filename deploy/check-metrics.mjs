// Which metrics the dashboards and alert rules query, and whether the code exports them.
//   node deploy/check-metrics.mjs             check every metric and label against the sources
//   node deploy/check-metrics.mjs --metrics   print the series names queried, one per line
//   node deploy/check-metrics.mjs --families  print their metric family names (as in `name: "..."`)
//   node deploy/check-metrics.mjs --dashboard-rules  the dashboards' queries as a rules file (promtool)
// PromQL is scanned with a few regular expressions, which is enough for the queries in deploy/.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

const root = new URL("../", import.meta.url).pathname;
const deploy = join(root, "deploy");

/** Labels every series has: set by the registry (service) or by Prometheus (instance, job). */
const UNIVERSAL = ["service", "instance", "job"];
/** Series Prometheus makes itself. */
const BUILTIN = new Set(["up", "scrape_duration_seconds", "scrape_samples_scraped"]);
/** prom-client's default metrics (collectDefaultMetrics), which no `name: "..."` declares. */
const DEFAULT_METRIC = /^(process_|nodejs_)/;
const KEYWORDS = new Set([
  "and",
  "or",
  "unless",
  "bool",
  "offset",
  "inf",
  "nan",
  "by",
  "without",
  "on",
  "ignoring",
]);

// ---------------------------------------------------------------- queries in deploy/
function queriesOfRules(file) {
  // Our rules file: `expr: <one line>` or `expr: |` followed by more indented lines.
  const lines = readFileSync(file, "utf8").split("\n");
  const out = [];
  for (let i = 0; i < lines.length; i++) {
    const m = /^(\s*)expr:\s*(.*)$/.exec(lines[i]);
    if (!m) continue;
    if (m[2] !== "|" && m[2] !== ">-" && m[2] !== "|-") {
      out.push({ where: `rules.yml:${i + 1}`, expr: m[2] });
      continue;
    }
    const body = [];
    while (i + 1 < lines.length && (lines[i + 1].trim() === "" || indent(lines[i + 1]) > m[1].length)) {
      body.push(lines[++i]);
    }
    out.push({ where: `rules.yml:${i + 1}`, expr: body.join("\n") });
  }
  return out;
}
const indent = (s) => s.length - s.trimStart().length;

function queriesOfDashboard(file) {
  const doc = JSON.parse(readFileSync(file, "utf8"));
  const name = file.split("/").pop();
  const out = [];
  const walk = (panels) => {
    for (const p of panels ?? []) {
      for (const t of p.targets ?? []) if (t.expr) out.push({ where: `${name}: ${p.title}`, expr: t.expr });
      walk(p.panels);
    }
  };
  walk(doc.panels);
  for (const v of doc.templating?.list ?? []) {
    const q = typeof v.query === "string" ? v.query : v.query?.query;
    const m = q && /^label_values\(\s*([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s*,\s*(\w+)\s*\)$/.exec(q.trim());
    if (m) out.push({ where: `${name}: variable ${v.name}`, expr: `${m[1]}${m[2] ?? ""}`, groupBy: [m[3]] });
    else if (q) out.push({ where: `${name}: variable ${v.name}`, expr: q });
  }
  return out;
}

/** Series selectors (name + matcher labels) and grouping labels of one PromQL expression. */
function parse(expr) {
  const groupBy = [];
  let e = expr.replace(
    /\b(by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)/g,
    (_, _kw, labels) => {
      groupBy.push(
        ...labels
          .split(",")
          .map((s) => s.trim())
          .filter(Boolean),
      );
      return " ";
    },
  );
  e = e.replace(/\[[^\]]*\]/g, " ").replace(/\boffset\s+\S+/g, " ");
  const selectors = [];
  const re = /([a-zA-Z_:][\w:]*)\s*(\{[^}]*\})?(\s*\()?/g;
  for (let m = re.exec(e); m; m = re.exec(e)) {
    if (m[3] || KEYWORDS.has(m[1].toLowerCase())) continue; // a function or an operator
    if (/^\d/.test(m[1])) continue;
    const labels = [...(m[2] ?? "").matchAll(/([a-zA-Z_]\w*)\s*(=~|!~|!=|=)/g)].map((l) => l[1]);
    selectors.push({ name: m[1], labels });
  }
  return { selectors, groupBy };
}

function usedQueries() {
  const dashDir = join(deploy, "grafana", "dashboards");
  return [
    ...queriesOfRules(join(deploy, "prometheus", "rules.yml")),
    ...readdirSync(dashDir)
      .filter((f) => f.endsWith(".json"))
      .sort()
      .flatMap((f) => queriesOfDashboard(join(dashDir, f))),
  ];
}

// ---------------------------------------------------------------- metrics in the code
function sourceFiles(dir) {
  const out = [];
  for (const entry of readdirSync(dir)) {
    const p = join(dir, entry);
    if (statSync(p).isDirectory()) out.push(...sourceFiles(p));
    else if (p.endsWith(".ts") && !p.endsWith(".d.ts")) out.push(p);
  }
  return out;
}

/**
 * family name -> label names, from `new Counter|Gauge|Histogram|Summary({ name: "...", labelNames: [...] })`.
 * A name made from its reader's prefix (`${prefix}_x`, as the product near cache's) stands for each
 * `metricPrefix: "..."` the sources pass.
 */
function exportedFamilies() {
  const families = new Map();
  const templated = [];
  const prefixes = new Set();
  for (const top of ["packages", "services"]) {
    for (const pkg of readdirSync(join(root, top))) {
      const src = join(root, top, pkg, "src");
      try {
        statSync(src);
      } catch {
        continue;
      }
      for (const file of sourceFiles(src)) {
        const text = readFileSync(file, "utf8");
        for (const m of text.matchAll(/metricPrefix:\s*"(\w+)"/g)) prefixes.add(m[1]);
        const re = /new (Counter|Gauge|Histogram|Summary)(?:<[^>]*>)?\(\s*\{([\s\S]*?)\}\s*\)/g;
        for (let m = re.exec(text); m; m = re.exec(text)) {
          const labelNames = /labelNames:\s*\[([^\]]*)\]/.exec(m[2])?.[1] ?? "";
          const family = {
            type: m[1],
            labels: new Set([...labelNames.matchAll(/"(\w+)"/g)].map((l) => l[1])),
          };
          const name = /name:\s*"([a-zA-Z_:][\w:]*)"/.exec(m[2])?.[1];
          if (name) families.set(name, family);
          const suffix = /name:\s*`\$\{\w+\}([\w:]*)`/.exec(m[2])?.[1];
          if (suffix) templated.push({ suffix, family });
        }
      }
    }
  }
  for (const { suffix, family } of templated) {
    for (const prefix of prefixes) families.set(`${prefix}${suffix}`, family);
  }
  return families;
}

/** The family a queried series belongs to and the labels it may carry. */
function resolve(series, families) {
  if (families.has(series)) return { family: series, labels: families.get(series).labels };
  const m = /^(.*)_(bucket|sum|count)$/.exec(series);
  if (m && families.has(m[1]) && ["Histogram", "Summary"].includes(families.get(m[1]).type)) {
    const labels = new Set(families.get(m[1]).labels);
    if (m[2] === "bucket") labels.add("le");
    if (families.get(m[1]).type === "Summary") labels.add("quantile");
    return { family: m[1], labels };
  }
  if (DEFAULT_METRIC.test(series)) return { family: series, labels: new Set(), builtin: true };
  return undefined;
}

// ---------------------------------------------------------------- main
const mode = process.argv[2] ?? "--check";
const queries = usedQueries();
const used = new Map(); // series name -> [where]
for (const q of queries) {
  for (const s of parse(q.expr).selectors) {
    if (s.name.includes(":") || BUILTIN.has(s.name)) continue; // recording rules, Prometheus' own
    used.set(s.name, [...(used.get(s.name) ?? []), q.where]);
  }
}

if (mode === "--dashboard-rules") {
  // Every dashboard query as a recording rule, Grafana's variables replaced, for `promtool check rules`.
  const rules = queries
    .filter((q) => !q.where.startsWith("rules.yml"))
    .map((q, i) => {
      const expr = q.expr.replace(/\$\{?(\w+)\}?/g, (_, v) => (v.startsWith("__") ? "5m" : "x"));
      return `      - record: dashboard:query_${i}\n        expr: ${JSON.stringify(expr)}`;
    });
  console.log(
    `# generated by deploy/check-metrics.mjs --dashboard-rules\ngroups:\n  - name: dashboards\n    rules:\n${rules.join("\n")}`,
  );
  process.exit(0);
}
if (mode === "--metrics") {
  console.log([...used.keys()].sort().join("\n"));
  process.exit(0);
}
const families = exportedFamilies();
if (mode === "--families") {
  const names = new Set([...used.keys()].map((s) => resolve(s, families)?.family ?? s));
  console.log([...names].sort().join("\n"));
  process.exit(0);
}
if (mode !== "--check") {
  console.error(`unknown option ${mode} (use --metrics, --families, --dashboard-rules or nothing)`);
  process.exit(2);
}

const problems = [];
for (const q of queries) {
  const { selectors, groupBy } = parse(q.expr);
  const allowed = new Set(UNIVERSAL);
  for (const s of selectors) {
    if (s.name.includes(":") || BUILTIN.has(s.name)) {
      for (const l of ["service", "outcome", "reason", "instance", "job"]) allowed.add(l);
      continue;
    }
    const r = resolve(s.name, families);
    if (!r) {
      problems.push(`${q.where}: metric ${s.name} is not exported by any package or service`);
      continue;
    }
    for (const l of r.labels) allowed.add(l);
    for (const l of s.labels) {
      if (!r.labels.has(l) && !UNIVERSAL.includes(l)) {
        problems.push(
          `${q.where}: ${s.name} has no label ${l} (it has: ${[...r.labels].join(", ") || "none"})`,
        );
      }
    }
  }
  for (const l of groupBy.concat(q.groupBy ?? [])) {
    if (!allowed.has(l)) problems.push(`${q.where}: groups by ${l}, which none of its metrics has`);
  }
}
if (problems.length) {
  console.error(problems.join("\n"));
  console.error(`${problems.length} problem(s) in the metrics used by deploy/`);
  process.exit(1);
}
console.log(
  `metrics: ${used.size} series names in ${queries.length} queries, all exported with the labels used`,
);
