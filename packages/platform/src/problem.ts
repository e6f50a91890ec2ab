import type { ErrorDetail } from "./errors.js";

/** RFC 9457 problem details, the one error body every HTTP response uses. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  code?: string;
  errors?: ErrorDetail[];
}

export const PROBLEM_CONTENT_TYPE = "application/problem+json";

export function problem(
  status: number,
  title: string,
  detail: string,
  extra: Partial<Problem> = {},
): Problem {
  return { type: "about:blank", title, status, detail, ...extra };
}
