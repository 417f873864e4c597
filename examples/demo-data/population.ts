/**
 * The demo credit-risk population: how one application is drawn and how likely it is to default.
 * Pure functions of a seeded Random, so the generator around them only does I/O.
 *
 * A latent risk score `risk` (standard normal, higher = riskier) ties the features together the
 * way real bureau data is tied together: risky applicants carry more debt, use more of their
 * credit, pay late more often and earn less. Half of the default logit comes from the observed
 * features and a part from `risk` itself, which no feature fully reveals: that is the irreducible
 * noise that keeps a logistic regression near AUC 0.8 instead of 1.
 */
import type { Random } from './prng';

export type Weighted<T extends string> = readonly (readonly [T, number])[];

export const REGIONS: Weighted<'north' | 'south' | 'east' | 'west'> = [
  ['north', 0.38],
  ['south', 0.27],
  ['east', 0.22],
  ['west', 0.13],
];
export const CHANNELS: Weighted<'branch' | 'online' | 'partner'> = [
  ['branch', 0.3],
  ['online', 0.5],
  ['partner', 0.2],
];
export const GENDERS: Weighted<'female' | 'male' | 'nonbinary'> = [
  ['female', 0.49],
  ['male', 0.48],
  ['nonbinary', 0.03],
];
export const EMPLOYMENT_TYPES: Weighted<'salaried' | 'self_employed' | 'contract' | 'unemployed'> = [
  ['salaried', 0.6],
  ['self_employed', 0.14],
  ['contract', 0.17],
  ['unemployed', 0.09],
];
export const LOAN_PURPOSES: Weighted<
  'debt_consolidation' | 'car' | 'home_improvement' | 'education' | 'medical' | 'business' | 'other'
> = [
  ['debt_consolidation', 0.34],
  ['car', 0.18],
  ['home_improvement', 0.14],
  ['education', 0.08],
  ['medical', 0.07],
  ['business', 0.08],
  ['other', 0.11],
];
type HomeOwnership = 'rent' | 'own' | 'mortgage' | 'other';
/** Home ownership depends on age: the young rent, the old own. */
const HOME_OWNERSHIP_BY_AGE_BAND: Record<AgeBand, Weighted<HomeOwnership>> = {
  under_30: [['rent', 0.6], ['own', 0.05], ['mortgage', 0.25], ['other', 0.1]],
  '30_to_50': [['rent', 0.35], ['own', 0.15], ['mortgage', 0.45], ['other', 0.05]],
  over_50: [['rent', 0.2], ['own', 0.4], ['mortgage', 0.35], ['other', 0.05]],
};

export type AgeBand = 'under_30' | '30_to_50' | 'over_50';
export function ageBand(age: number): AgeBand {
  if (age < 30) return 'under_30';
  if (age <= 50) return '30_to_50';
  return 'over_50';
}

/** Share of values blanked out after the label is drawn (missing completely at random). */
export const MISSING_RATES = { income: 0.03, months_employed: 0.08, employment_type: 0.02 } as const;

/**
 * The drift injected from the drift week on; documented in README.md. Credit utilisation is drawn
 * as 1.2 · sigmoid(x): the shift moves x, so values stay inside [0, 1.2].
 */
export const DRIFT = {
  utilizationShift: { online: 1.3, branch: 0.2, partner: 0.2 },
  partnerLogitIncrease: 1.0,
  debtToIncomeCoefficient: { before: 2.5, after: 5.0 },
  utilizationCoefficient: { before: 1.8, after: 0.9 },
  latePaymentsCoefficient: { before: 0.3, after: 0.05 },
} as const;

/** Who applies; a returning customer keeps these. */
export interface Customer {
  customerId: string;
  age: number;
  gender: string;
  region: string;
  homeOwnership: HomeOwnership;
  risk: number;
}

export function drawCustomer(rng: Random, customerId: string): Customer {
  let age: number;
  do age = Math.round(41 + 13 * rng.normal());
  while (age < 18 || age > 85);
  return {
    customerId,
    age,
    gender: rng.pick(GENDERS),
    region: rng.pick(REGIONS),
    homeOwnership: rng.pick(HOME_OWNERSHIP_BY_AGE_BAND[ageBand(age)]),
    risk: rng.normal(),
  };
}

/** One application row as written to Parquet (applied_at as epoch milliseconds). */
export interface Application {
  application_id: string;
  customer_id: string;
  applied_at: number;
  income: number | null;
  debt_to_income: number;
  credit_utilization: number;
  age: number;
  months_employed: number | null;
  num_late_payments: number;
  loan_amount: number;
  num_credit_lines: number;
  home_ownership: string;
  loan_purpose: string;
  employment_type: string | null;
  region: string;
  channel: string;
  age_band: AgeBand;
  gender: string;
  defaulted: number;
}

const round = (value: number, digits: number): number => {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
};
const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

const EMPLOYMENT_INCOME: Record<string, number> = { salaried: 0, self_employed: 0.1, contract: -0.12, unemployed: -0.8 };
const PURPOSE_AMOUNT: Record<string, number> = {
  debt_consolidation: 0.1,
  car: 0.2,
  home_improvement: 0.3,
  education: 0,
  medical: -0.4,
  business: 0.5,
  other: -0.3,
};

/** The default logit's dependence on the categories ("mild" for region and channel). */
const EFFECT = {
  employment: { salaried: 0, self_employed: 0.15, contract: 0.25, unemployed: 0.6 } as Record<string, number>,
  purpose: {
    debt_consolidation: 0.15,
    car: -0.1,
    home_improvement: -0.15,
    education: 0.1,
    medical: 0.3,
    business: 0.35,
    other: 0,
  } as Record<string, number>,
  home: { rent: 0.15, own: -0.2, mortgage: -0.05, other: 0.1 } as Record<string, number>,
  region: { north: -0.05, south: 0.15, east: 0, west: 0.25 } as Record<string, number>,
  channel: { branch: -0.1, online: 0.1, partner: 0.2 } as Record<string, number>,
};
const INTERCEPT = -3.0;

interface Drawn {
  income: number;
  debtToIncome: number;
  utilization: number;
  monthsEmployed: number;
  latePayments: number;
  loanAmount: number;
  creditLines: number;
  employment: string;
  purpose: string;
  channel: string;
}

/** The true log-odds of default; `afterDrift` switches on the concept drift. */
export function defaultLogit(customer: Customer, x: Drawn, afterDrift: boolean): number {
  const dtiCoefficient = afterDrift ? DRIFT.debtToIncomeCoefficient.after : DRIFT.debtToIncomeCoefficient.before;
  return (
    INTERCEPT +
    dtiCoefficient * (x.debtToIncome - 0.3) +
    (afterDrift ? DRIFT.utilizationCoefficient.after : DRIFT.utilizationCoefficient.before) * (x.utilization - 0.4) +
    (afterDrift ? DRIFT.latePaymentsCoefficient.after : DRIFT.latePaymentsCoefficient.before) * x.latePayments -
    0.55 * (Math.log(x.income) - 10.75) -
    0.015 * (customer.age - 40) -
    0.004 * (x.monthsEmployed - 60) +
    0.15 * Math.log(x.loanAmount / 10_000) -
    0.03 * (x.creditLines - 4) +
    EFFECT.employment[x.employment] +
    EFFECT.purpose[x.purpose] +
    EFFECT.home[customer.homeOwnership] +
    EFFECT.region[customer.region] +
    EFFECT.channel[x.channel] +
    (afterDrift && x.channel === 'partner' ? DRIFT.partnerLogitIncrease : 0) +
    0.6 * customer.risk
  );
}

export function drawApplication(
  rng: Random,
  customer: Customer,
  ids: { applicationId: string; appliedAt: number },
  afterDrift: boolean,
): Application {
  const { risk, age } = customer;
  const channel = rng.pick(CHANNELS);
  const employment = rng.pick(EMPLOYMENT_TYPES);
  const purpose = rng.pick(LOAN_PURPOSES);

  const logIncome = 10.75 + 0.012 * (age - 40) - 0.0004 * (age - 40) ** 2 + EMPLOYMENT_INCOME[employment] - 0.15 * risk + 0.4 * rng.normal();
  const income = round(Math.exp(logIncome), 0);

  let debtToIncome: number;
  do debtToIncome = 0.3 + 0.06 * risk + 0.11 * rng.normal();
  while (debtToIncome < 0 || debtToIncome > 1.5);

  const utilizationShift = afterDrift ? DRIFT.utilizationShift[channel] : 0;
  const utilization = 1.2 * sigmoid(-0.9 + 0.6 * risk + 0.8 * rng.normal() + utilizationShift);

  const monthsEmployed =
    employment === 'unemployed' ? 0 : Math.min((age - 18) * 12, Math.round(-70 * Math.log(1 - rng.uniform())));
  const latePayments = rng.poisson(Math.exp(-0.9 + 0.55 * risk));
  const loanAmount = Math.max(500, Math.round(Math.exp(9.3 + PURPOSE_AMOUNT[purpose] + 0.3 * (logIncome - 10.75) + 0.5 * rng.normal()) / 50) * 50);
  const creditLines = rng.poisson(3 + 0.06 * (age - 18));

  const drawn: Drawn = {
    income,
    debtToIncome: round(debtToIncome, 4),
    utilization: round(utilization, 4),
    monthsEmployed,
    latePayments,
    loanAmount,
    creditLines,
    employment,
    purpose,
    channel,
  };
  const defaulted = rng.bernoulli(sigmoid(defaultLogit(customer, drawn, afterDrift))) ? 1 : 0;

  return {
    application_id: ids.applicationId,
    customer_id: customer.customerId,
    applied_at: ids.appliedAt,
    income: rng.bernoulli(MISSING_RATES.income) ? null : drawn.income,
    debt_to_income: drawn.debtToIncome,
    credit_utilization: drawn.utilization,
    age,
    months_employed: rng.bernoulli(MISSING_RATES.months_employed) ? null : monthsEmployed,
    num_late_payments: latePayments,
    loan_amount: loanAmount,
    num_credit_lines: creditLines,
    home_ownership: customer.homeOwnership,
    loan_purpose: purpose,
    employment_type: rng.bernoulli(MISSING_RATES.employment_type) ? null : employment,
    region: customer.region,
    channel,
    age_band: ageBand(age),
    gender: customer.gender,
    defaulted,
  };
}
