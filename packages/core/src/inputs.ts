import path from 'node:path';
import { FactoryError } from './errors.ts';
import type { InputSpec, RawInputs } from './stage.ts';

/**
 * Typed access to raw inputs with errors that name the input and the accepted values.
 * Both the action runtime and the CLI hand their strings to a stage's `parse` through this.
 */
export class InputReader {
  constructor(
    private readonly raw: RawInputs,
    private readonly specs: Readonly<Record<string, InputSpec>>,
    private readonly workDir: string,
  ) {}

  private value(name: string): string | undefined {
    const spec = this.specs[name];
    if (spec === undefined) throw new Error(`bug: input '${name}' is not declared by the stage`);
    const given = this.raw[name]?.trim();
    if (given !== undefined && given !== '') return given;
    return spec.default !== undefined && spec.default !== '' ? spec.default : undefined;
  }

  /** A string input, undefined when empty and not required. */
  optional(name: string): string | undefined {
    return this.value(name);
  }

  string(name: string): string {
    const v = this.value(name);
    if (v === undefined) {
      throw new FactoryError('INPUT_MISSING', `input '${name}' is required: ${this.specs[name]?.description ?? ''}`.trim(), {
        subject: name,
      });
    }
    return v;
  }

  /** A path resolved against the working directory. */
  path(name: string): string {
    return path.resolve(this.workDir, this.string(name));
  }

  optionalPath(name: string): string | undefined {
    const v = this.value(name);
    return v === undefined ? undefined : path.resolve(this.workDir, v);
  }

  /** A list: one item per line, or comma separated; blank items dropped. */
  list(name: string): string[] {
    const v = this.value(name);
    if (v === undefined) return [];
    return v
      .split(/\r?\n|,/)
      .map((s) => s.trim())
      .filter((s) => s !== '');
  }

  requiredList(name: string): string[] {
    const items = this.list(name);
    // A value of only separators (",", blank lines) is as empty as no value at all.
    if (items.length === 0) {
      throw new FactoryError('INPUT_MISSING', `input '${name}' is required: ${this.specs[name]?.description ?? ''}`.trim(), {
        subject: name,
      });
    }
    return items;
  }

  boolean(name: string): boolean {
    const v = this.value(name);
    if (v === undefined) return false;
    // The YAML 1.2 core schema booleans, as @actions/core's getBooleanInput accepts them.
    if (['true', 'True', 'TRUE'].includes(v)) return true;
    if (['false', 'False', 'FALSE'].includes(v)) return false;
    throw new FactoryError('INPUT_INVALID', `input '${name}' must be true or false, got '${v}'`, { subject: name });
  }

  choice<T extends string>(name: string): T {
    const v = this.string(name);
    const choices = this.specs[name]?.choices ?? [];
    if (!choices.includes(v)) {
      throw new FactoryError('INPUT_INVALID', `input '${name}' must be one of ${choices.join(', ')}; got '${v}'`, { subject: name });
    }
    return v as T;
  }

  number(name: string): number | undefined {
    const v = this.value(name);
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isFinite(n)) throw new FactoryError('INPUT_INVALID', `input '${name}' must be a number, got '${v}'`, { subject: name });
    return n;
  }
}
