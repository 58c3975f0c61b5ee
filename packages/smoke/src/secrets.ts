import { FerryError, problem } from '@ferry/core';

const REF = /\$\{secret:([A-Za-z_][A-Za-z0-9_]*)\}/g;

/**
 * Replaces `${secret:NAME}` references through the context's secret lookup
 * (which masks every value it returns); the resolved text is masked too when
 * `mask` is set (a URL with a password in it). A missing secret fails before
 * anything is sent.
 */
export class SecretResolver {
  /** Every secret value resolved, so details can be redacted before they reach the report. */
  readonly values = new Set<string>();

  constructor(
    private readonly lookup: (name: string) => string | undefined,
    private readonly mask: (value: string) => void,
  ) {}

  resolve(value: string, key: string, opts: { mask?: boolean } = {}): string {
    const missing: string[] = [];
    const out = value.replace(REF, (_, name: string) => {
      const v = this.lookup(name);
      if (v === undefined || v === '') missing.push(name);
      else this.values.add(v);
      return v ?? '';
    });
    if (missing.length) {
      throw new FerryError(missing.map((name) => problem('FERRY_SECRET_MISSING', `secret ${name} (used in ${key}) is not set`, { location: { key } })));
    }
    if (opts.mask && out !== value) {
      this.mask(out);
      this.values.add(out);
    }
    return out;
  }

  /** A value derived from a secret (a password inside a URL): masked and redacted like one. */
  addMasked(value: string): void {
    this.mask(value);
    this.values.add(value);
  }

  redact(text: string): string {
    let s = text;
    for (const v of [...this.values].sort((a, b) => b.length - a.length)) if (v) s = s.split(v).join('***');
    return s;
  }
}
