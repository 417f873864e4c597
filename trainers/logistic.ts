/**
 * L2-regularised logistic regression on preprocessed features, fitted by Newton's method
 * (iteratively reweighted least squares) with a backtracking line search. Pure and deterministic:
 * same table, labels and params → bit-identical model.
 *
 * Objective (intercept b not penalised):
 *   Σᵢ [ log(1 + e^{zᵢ}) − yᵢ zᵢ ] + (l2 / 2) ‖w‖²,   zᵢ = b + w·xᵢ
 * This is scikit-learn's LogisticRegression objective divided by C, so l2 = 1 / C gives the same
 * coefficients. Converged when the largest gradient component, divided by the row count, is ≤ tol.
 */
import type { ColumnTable, FeatureSpec } from '../core/types';
import { TrainerError } from './errors';
import { choleskySolve, NotPositiveDefiniteError } from './linear-algebra';
import { buildDesign, designColumnNames, fitPreprocessing, type DesignMatrix, type Preprocessing } from './preprocessing';

export interface LogisticParams {
  l2: number;
  maxIter: number;
  tol: number;
  maxCategories: number; // one-hot columns kept per categorical feature
}

export const DEFAULT_LOGISTIC_PARAMS: Readonly<LogisticParams> = Object.freeze({ l2: 1.0, maxIter: 100, tol: 1e-8, maxCategories: 50 });

export interface LogisticModel {
  kind: 'ratchet.logistic';
  formatVersion: 1;
  features: FeatureSpec[];
  preprocessing: Preprocessing;
  columns: string[]; // design column names, aligned with weights
  weights: number[];
  intercept: number;
  params: LogisticParams;
  training: {
    rows: number;
    positives: number;
    iterations: number;
    loss: number; // the penalised objective at the solution
    logLoss: number; // mean log loss on the training rows
    gradientMax: number; // largest |gradient| / rows at the solution
    converged: boolean;
  };
}

export interface IterationInfo {
  iteration: number;
  loss: number;
  gradientMax: number;
}

/** Fills defaults for absent (or undefined) params and refuses values the solver cannot use. */
export function resolveLogisticParams(params: Partial<LogisticParams> = {}): LogisticParams {
  const resolved: LogisticParams = {
    l2: params.l2 ?? DEFAULT_LOGISTIC_PARAMS.l2,
    maxIter: params.maxIter ?? DEFAULT_LOGISTIC_PARAMS.maxIter,
    tol: params.tol ?? DEFAULT_LOGISTIC_PARAMS.tol,
    maxCategories: params.maxCategories ?? DEFAULT_LOGISTIC_PARAMS.maxCategories,
  };
  const bad = (message: string) => new TrainerError('invalid_input', `logistic params: ${message}`);
  // Without a penalty the one-hot columns plus the intercept are collinear: the Newton system is singular.
  if (!(resolved.l2 > 0) || !Number.isFinite(resolved.l2)) throw bad(`l2 must be a positive number (got ${resolved.l2}); use e.g. 1e-4 for a weak penalty`);
  if (!Number.isInteger(resolved.maxIter) || resolved.maxIter < 1) throw bad(`maxIter must be a positive integer (got ${resolved.maxIter})`);
  if (!(resolved.tol > 0)) throw bad(`tol must be a positive number (got ${resolved.tol})`);
  if (!Number.isInteger(resolved.maxCategories) || resolved.maxCategories < 1) {
    throw bad(`maxCategories must be a positive integer (got ${resolved.maxCategories})`);
  }
  return resolved;
}

export function sigmoid(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}

/** log(1 + e^z) without overflow. */
function softplus(z: number): number {
  return z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
}

function checkLabels(labels: Float64Array, rows: number): number {
  if (labels.length !== rows) {
    throw new TrainerError('invalid_input', `labels has ${labels.length} values but the training table has ${rows} rows`);
  }
  let positives = 0;
  labels.forEach((y, row) => {
    if (y !== 0 && y !== 1) throw new TrainerError('invalid_input', `label at row ${row} is ${y}; labels must be 0 or 1`);
    positives += y;
  });
  if (positives === 0 || positives === rows) {
    throw new TrainerError('invalid_input', `the training labels are all ${positives === 0 ? 0 : 1}: logistic regression needs both classes`);
  }
  return positives;
}

/** Linear scores z = b + w·x for every row; θ = [w..., b]. */
function linearScores(design: DesignMatrix, theta: Float64Array): Float64Array {
  const { rows, numericCount: k, numeric, categoricalCount: c, active, columnCount } = design;
  const intercept = theta[columnCount]!;
  const z = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    let s = intercept;
    for (let j = 0; j < k; j++) s += theta[j]! * numeric[i * k + j]!;
    for (let j = 0; j < c; j++) {
      const col = active[i * c + j]!;
      if (col >= 0) s += theta[col]!;
    }
    z[i] = s;
  }
  return z;
}

function objective(z: Float64Array, labels: Float64Array, theta: Float64Array, l2: number, columnCount: number): { loss: number; logLossSum: number } {
  let logLossSum = 0;
  for (let i = 0; i < z.length; i++) logLossSum += softplus(z[i]!) - labels[i]! * z[i]!;
  let penalty = 0;
  for (let j = 0; j < columnCount; j++) penalty += theta[j]! * theta[j]!;
  return { loss: logLossSum + 0.5 * l2 * penalty, logLossSum };
}

/** Gradient and Hessian of the objective at θ, exploiting that each row has few non-zeros. */
function gradientAndHessian(design: DesignMatrix, z: Float64Array, labels: Float64Array, theta: Float64Array, l2: number) {
  const { rows, numericCount: k, numeric, categoricalCount: c, active, columnCount: d } = design;
  const p = d + 1;
  const gradient = new Float64Array(p);
  const hessian = new Float64Array(p * p);
  const index = new Int32Array(k + c + 1);
  const value = new Float64Array(k + c + 1);
  for (let i = 0; i < rows; i++) {
    const prob = sigmoid(z[i]!);
    const residual = prob - labels[i]!;
    const weight = prob * (1 - prob);
    // Non-zeros of row i in increasing column order: numerics, active one-hots, intercept.
    let m = 0;
    for (let j = 0; j < k; j++) {
      index[m] = j;
      value[m++] = numeric[i * k + j]!;
    }
    for (let j = 0; j < c; j++) {
      const col = active[i * c + j]!;
      if (col >= 0) {
        index[m] = col;
        value[m++] = 1;
      }
    }
    index[m] = d;
    value[m++] = 1;
    for (let a = 0; a < m; a++) {
      const ia = index[a]!;
      const va = value[a]!;
      gradient[ia] += residual * va;
      const wa = weight * va;
      const rowOffset = ia * p;
      for (let b = a; b < m; b++) hessian[rowOffset + index[b]!] += wa * value[b]!;
    }
  }
  for (let j = 0; j < d; j++) {
    gradient[j] += l2 * theta[j]!;
    hessian[j * p + j] += l2;
  }
  for (let a = 0; a < p; a++) for (let b = a + 1; b < p; b++) hessian[b * p + a] = hessian[a * p + b]!;
  return { gradient, hessian };
}

/** Relative change of the objective below which float64 sums over many rows cannot tell better from worse. */
const OBJECTIVE_RESOLUTION = 1e-10;

function maxAbs(values: Float64Array): number {
  let m = 0;
  for (const v of values) m = Math.max(m, Math.abs(v));
  return m;
}

/**
 * Fits preprocessing and weights on `table`. `labels[i]` (0 or 1) belongs to row i.
 * `onIteration` is called after every Newton step (for progress reporting).
 */
export function fitLogistic(
  table: ColumnTable,
  labels: Float64Array,
  features: FeatureSpec[],
  params: Partial<LogisticParams> = {},
  onIteration?: (info: IterationInfo) => void,
): LogisticModel {
  const resolved = resolveLogisticParams(params);
  if (features.length === 0) throw new TrainerError('invalid_input', 'no features declared: the model needs at least one');
  const positives = checkLabels(labels, table.rowCount);
  const preprocessing = fitPreprocessing(table, features, resolved.maxCategories);
  const design = buildDesign(preprocessing, table);
  const { l2, maxIter, tol } = resolved;
  const rows = design.rows;
  const d = design.columnCount;

  const theta = new Float64Array(d + 1);
  // Start from the intercept-only solution: Newton then only has to add the features' effect.
  theta[d] = Math.log(positives / (rows - positives));
  let z = linearScores(design, theta);
  let current = objective(z, labels, theta, l2, d);
  let iterations = 0;
  let gradientMax = Number.POSITIVE_INFINITY;
  let converged = false;

  while (true) {
    const { gradient, hessian } = gradientAndHessian(design, z, labels, theta, l2);
    gradientMax = maxAbs(gradient) / rows;
    if (gradientMax <= tol) {
      converged = true;
      break;
    }
    if (iterations >= maxIter) break;
    let step: Float64Array;
    try {
      step = choleskySolve(hessian, gradient, d + 1);
    } catch (err) {
      if (err instanceof NotPositiveDefiniteError) break; // saturated probabilities: report not converged
      throw err;
    }
    let decrease = 0; // gᵀH⁻¹g: the Newton decrement squared, twice the predicted decrease
    for (let j = 0; j <= d; j++) decrease += gradient[j]! * step[j]!;
    // Near the optimum the predicted decrease falls below the rounding noise of a sum over all
    // rows, and comparing objectives would reject good steps at random: there the full Newton
    // step is taken as is (it is well inside Newton's quadratic convergence region).
    const belowNoise = decrease < OBJECTIVE_RESOLUTION * (1 + Math.abs(current.loss));
    // Otherwise backtracking (Armijo): a full step whenever it lowers the objective enough.
    let t = 1;
    let accepted = false;
    for (let halvings = 0; halvings < 40; halvings++, t /= 2) {
      const candidate = theta.map((v, j) => v - t * step[j]!);
      const zCandidate = linearScores(design, candidate);
      const next = objective(zCandidate, labels, candidate, l2, d);
      if (belowNoise || next.loss <= current.loss - 1e-4 * t * decrease) {
        theta.set(candidate);
        z = zCandidate;
        current = next;
        accepted = true;
        break;
      }
    }
    iterations++;
    onIteration?.({ iteration: iterations, loss: current.loss, gradientMax });
    if (!accepted) break; // no further decrease at machine precision: keep the best point, converged stays false
  }

  return {
    kind: 'ratchet.logistic',
    formatVersion: 1,
    features: features.map((f) => ({ ...f })),
    preprocessing,
    columns: designColumnNames(preprocessing),
    weights: Array.from(theta.subarray(0, d)),
    intercept: theta[d]!,
    params: resolved,
    training: { rows, positives, iterations, loss: current.loss, logLoss: current.logLossSum / rows, gradientMax, converged },
  };
}

/** Positive-class probabilities by the trainer's own float64 math (the reference the ONNX graph must match). */
export function predictLogistic(model: LogisticModel, table: ColumnTable): Float64Array {
  const design = buildDesign(model.preprocessing, table);
  const theta = Float64Array.from([...model.weights, model.intercept]);
  return linearScores(design, theta).map(sigmoid);
}
