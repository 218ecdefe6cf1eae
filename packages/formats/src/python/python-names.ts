/**
 * Python project names. PEP 503 / the "Names and normalization" specification
 * (packaging.python.org/en/latest/specifications/name-normalization/): names compare
 * case-insensitively with every run of '-', '_' and '.' equal to one '-'. 'Zope.Interface',
 * 'zope_interface' and 'zope-interface' are one project.
 */

/** A valid project name: ASCII letters and digits at both ends, '.', '_' and '-' inside (the spec's regex). */
export const PYTHON_NAME = /^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$/i;

/** PEP 503 normalised name: lower case, runs of `-_.` collapsed to one '-'. */
export function normalizePythonName(name: string): string {
  return name.replace(/[-_.]+/g, '-').toLowerCase();
}

/** True when `name` is a valid Python project name. */
export function isValidPythonName(name: string): boolean {
  return PYTHON_NAME.test(name);
}
