import { inspect } from "node:util";

const values = new WeakMap<Secret, string>();

/**
 * A secret string (account key, SAS signature, bearer token). It prints as
 * `Secret(***)` through `util.inspect`, `String()`, template strings and
 * `JSON.stringify`, so it cannot reach a log or a message by accident; read it
 * with {@link Secret.expose}. The value is kept outside the object (a
 * `WeakMap`), so not even a property walk finds it.
 */
export class Secret {
  constructor(value: string) {
    values.set(this, value);
  }

  /** The secret value itself; keep it out of logs and errors. */
  expose(): string {
    return values.get(this) ?? "";
  }

  toString(): string {
    return "Secret(***)";
  }

  toJSON(): string {
    return "Secret(***)";
  }

  [inspect.custom](): string {
    return "Secret(***)";
  }
}
