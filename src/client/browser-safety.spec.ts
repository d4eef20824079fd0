import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const CLIENT_DIR = import.meta.dirname;

/** The client's shipped files, without their comments. */
function shippedSources(): { file: string; code: string }[] {
  return readdirSync(CLIENT_DIR)
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.spec.ts'))
    .map((file) => ({
      file,
      code: readFileSync(join(CLIENT_DIR, file), 'utf8')
        .replace(/\/\*[\s\S]*?\*\//g, '')
        .replace(/\/\/.*$/gm, ''),
    }));
}

/**
 * The client must bundle for browsers as it is: no Node built-ins, no
 * server code (Nest, class-validator) pulled in through an import.
 */
describe('the client sources', () => {
  it.each(shippedSources())('$file imports only files of the client', ({ code }) => {
    const specifiers = [...code.matchAll(/\bfrom\s+'([^']+)'|\bimport\s*\(\s*'([^']+)'/g)].map(
      (match) => match[1] ?? match[2],
    );

    for (const specifier of specifiers) {
      expect(specifier).toMatch(/^\.\/[\w.-]+\.js$/);
    }
  });

  it.each(shippedSources())('$file uses no Node-only global', ({ code }) => {
    expect(code).not.toMatch(/\b(Buffer|process|require|__dirname|setImmediate)\b/);
  });
});
