import { maskSecrets } from '@packaging-factory/core';

/** Environment variable names whose values are treated as secrets (GITHUB_TOKEN, NPM_TOKEN, AWS_SECRET_ACCESS_KEY, ...). */
const SECRET_VARIABLE = /TOKEN|SECRET|PASSWORD|PASSPHRASE|PRIVATE|CREDENTIAL|API_?KEY|_KEY$|^KEY$/i;
/** Shorter values would mask ordinary words ("true", a port number). */
const MIN_SECRET_LENGTH = 8;

/**
 * Shapes of secrets worth masking wherever they show up: PEM private keys (from the BEGIN line to
 * the END line, or to the end of the text when a tail cut the END off), GitHub tokens (ghp_, gho_,
 * ghu_, ghs_, ghr_ and fine-grained github_pat_), AWS access key ids and JSON Web Tokens.
 */
const SECRET_SHAPES: readonly RegExp[] = [
  /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z0-9 ]*PRIVATE KEY-----|$)/g,
  /\bgh[opusr]_[A-Za-z0-9]{30,}\b/g,
  /\bgithub_pat_[A-Za-z0-9_]{30,}\b/g,
  /\b(AKIA|ASIA)[0-9A-Z]{16}\b/g,
  /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\b/g,
];

/**
 * Masks what a package's output may echo back before any of it is shown outside the install log:
 * the values of secret-looking environment variables of the job and well-known secret shapes.
 * The sandbox already keeps the environment and host secrets away from the package; this is the
 * second line, for the few output lines the evidence pack and error messages carry.
 */
export class OutputMasker {
  private readonly secrets: string[];

  constructor(env: NodeJS.ProcessEnv = {}, extraSecrets: readonly string[] = []) {
    const fromEnv = Object.entries(env)
      .filter(([name, value]) => SECRET_VARIABLE.test(name) && value !== undefined && value.length >= MIN_SECRET_LENGTH)
      .map(([, value]) => value as string);
    this.secrets = [...new Set([...fromEnv, ...extraSecrets.filter((s) => s.length >= MIN_SECRET_LENGTH)])];
  }

  mask(text: string): string {
    let out = maskSecrets(text, this.secrets);
    for (const shape of SECRET_SHAPES) out = out.replace(shape, '***');
    return out;
  }
}
