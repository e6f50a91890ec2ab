import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/**
 * Message templates live in `services/notification/templates` as files, one set per message:
 * `<name>.subject.txt`, `<name>.txt` (plain text), `<name>.html`, and for messages that may go to
 * Telegram `<name>.telegram.txt`. Resolved from this module so it works from src/ and dist/ alike.
 */
export const TEMPLATE_DIR = fileURLToPath(new URL("../../templates/", import.meta.url));

export const templateNames = ["verify-email", "password-reset", "order-paid", "order-cancelled"] as const;
export type TemplateName = (typeof templateNames)[number];
export type TemplateVars = Record<string, string | number>;

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

interface TemplateSet {
  subject: string;
  text: string;
  html: string;
  telegram: string | undefined;
}

const PLACEHOLDER = /\{\{\s*([A-Za-z0-9_]+)\s*\}\}/g;

const HTML_ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
}

/** Replaces `{{name}}` with its value; a placeholder without a value is a bug, so it throws. */
export function substitute(
  template: string,
  vars: TemplateVars,
  encode: (value: string) => string = (v) => v,
): string {
  return template.replace(PLACEHOLDER, (_match, key: string) => {
    const value = vars[key];
    if (value === undefined) throw new Error(`template variable ${key} has no value`);
    return encode(String(value));
  });
}

function readOptional(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
}

/** Reads every template once (at start, so a missing file stops the process early). */
export function loadTemplates(dir: string = TEMPLATE_DIR) {
  const sets = new Map<TemplateName, TemplateSet>();
  for (const name of templateNames) {
    sets.set(name, {
      subject: readFileSync(`${dir}/${name}.subject.txt`, "utf8").trim(),
      text: readFileSync(`${dir}/${name}.txt`, "utf8"),
      html: readFileSync(`${dir}/${name}.html`, "utf8"),
      telegram: readOptional(`${dir}/${name}.telegram.txt`)?.trim(),
    });
  }
  const setOf = (name: TemplateName) => sets.get(name)!;

  return {
    /** Subject and plain text as they are; the HTML variant escapes every value. */
    renderEmail(name: TemplateName, vars: TemplateVars): RenderedEmail {
      const set = setOf(name);
      return {
        // A value with a line break must not start a new header line.
        subject: substitute(set.subject, vars).replace(/[\r\n]+/g, " "),
        text: substitute(set.text, vars),
        html: substitute(set.html, vars, escapeHtml),
      };
    },
    /** Plain text for Telegram (sent without parse_mode, so nothing needs escaping). */
    renderTelegram(name: TemplateName, vars: TemplateVars): string {
      const template = setOf(name).telegram;
      if (template === undefined) throw new Error(`template ${name} has no Telegram variant`);
      return substitute(template, vars);
    },
  };
}

export type Templates = ReturnType<typeof loadTemplates>;
