/**
 * Why `name` is not a valid tag name, or undefined when it is. The rules are git's for any ref
 * (git-check-ref-format(1)), applied to `refs/tags/<name>`: a tag we publish must be one git can create.
 */
export function refNameProblem(name: string): string | undefined {
  if (name === '') return 'it is empty';
  // Rule 4: no ASCII control characters, space, ~ ^ or :; rule 5: no ? * or [; rule 10: no backslash.
  const bad = [...name].find((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f || ' ~^:?*[\\'.includes(c));
  if (bad !== undefined) return `it contains the character ${JSON.stringify(bad)}`;
  // Rule 3: no '..'; rule 8: no '@{'.
  if (name.includes('..')) return "it contains '..'";
  if (name.includes('@{')) return "it contains '@{'";
  // Rule 6: no leading or trailing slash, no empty component; rule 7: no trailing dot.
  if (name.startsWith('/') || name.endsWith('/') || name.includes('//')) return 'it has an empty path component';
  if (name.endsWith('.')) return "it ends with '.'";
  // Rule 1: no component starts with '.' or ends with '.lock'.
  for (const component of name.split('/')) {
    if (component.startsWith('.')) return `its component '${component}' starts with '.'`;
    if (component.endsWith('.lock')) return `its component '${component}' ends with '.lock'`;
  }
  return undefined;
}
