// "Silent corruption": a batch line that succeeded but whose answer is unusable. Empty content
// always fails; a job may also require JSON, or JSON matching a schema. A failure here is an
// `invalid_output` item, retried like a transient one, since a model may answer well next time.
import { Ajv } from 'ajv';

export interface OutputCheckOptions {
  readonly json?: boolean | undefined;
  /** A JSON Schema the parsed output must satisfy (implies json). */
  readonly schema?: unknown;
}

/** Returns why an output is unusable, or undefined when it passes. */
export type OutputCheck = (content: string) => string | undefined;

export function createOutputCheck(options: OutputCheckOptions): OutputCheck {
  const validate = options.schema === undefined ? undefined : new Ajv({ allErrors: false, strict: false }).compile(options.schema as object);
  const wantsJson = options.json === true || validate !== undefined;
  return (content) => {
    if (content.trim().length === 0) return 'the model returned empty content';
    if (!wantsJson) return undefined;
    let parsed: unknown;
    try {
      parsed = JSON.parse(content);
    } catch {
      return `the output is not JSON: ${JSON.stringify(content.slice(0, 80))}${content.length > 80 ? '…' : ''}`;
    }
    if (validate && !validate(parsed)) {
      const error = validate.errors?.[0];
      const where = error?.instancePath ? `at ${error.instancePath} ` : '';
      return `the output does not match the job's schema: ${where}${error?.message ?? 'invalid'}`;
    }
    return undefined;
  };
}
