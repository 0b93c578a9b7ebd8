import { readFileSync } from 'node:fs';

/**
 * Reads a declarative config file (config/*.json) as parsed JSON; throws an Error naming the file and what is wrong
 * with it (unreadable, not JSON), which start-up reports as the reason it stopped.
 */
export function readJsonConfigFile(path: string, what: string): unknown {
  let raw: string;
  try {
    raw = readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`Cannot read ${what} ${path}: ${err instanceof Error ? err.message : String(err)}`);
  }
  try {
    return JSON.parse(raw) as unknown;
  } catch (err) {
    throw new Error(
      `${what[0].toUpperCase()}${what.slice(1)} ${path} is not valid JSON: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
}
