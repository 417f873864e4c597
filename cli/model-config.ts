/** Which config file a command means: --config, else <models dir>/<model>.yaml. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { loadModelConfig, type ModelConfig } from '../core/config';
import { CliError } from './errors';

export function modelsDir(): string {
  return path.resolve(process.env.RATCHET_MODELS_DIR ?? 'models');
}

export async function resolveModelConfig(model: string, configFile?: string): Promise<ModelConfig> {
  const file = path.resolve(configFile ?? path.join(modelsDir(), `${model}.yaml`));
  if (!existsSync(file)) {
    throw new CliError(
      configFile
        ? `config file ${file} does not exist; check the --config path`
        : `no config for model "${model}" at ${file}; pass --config FILE, set RATCHET_MODELS_DIR, or create one with \`ratchet init ${model} --data FILE --label COL\``,
      2,
    );
  }
  const config = await loadModelConfig(file);
  if (config.model !== model) throw new CliError(`${file}: field "model" is "${config.model}" but you asked for "${model}"; fix one of them`, 2);
  return config;
}
