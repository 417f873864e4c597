import { parseModelConfig } from '../core/config';
import { readFileSync } from 'node:fs';
const text = readFileSync('examples/credit/credit.yaml','utf8');
const r = parseModelConfig(text, 'examples/credit/credit.yaml');
console.log(r.ok ? JSON.stringify(r.config.monitoring) : r.errors);
const r2 = parseModelConfig(text + '\nmonitoring:\n  interval: 2h\n  policy: { action: rollback, warn: { feature_psi: 0.3 }, alertt: {} }\n', 'x.yaml');
console.log(r2.ok ? 'ok' : r2.errors);
const r3 = parseModelConfig(text + '\nmonitoring:\n  policy: { action: rollback, warn: { feature_psi: 0.3, auc_drop: null } }\n', 'x.yaml');
console.log(r3.ok ? r3.config.monitoring : r3.errors);
