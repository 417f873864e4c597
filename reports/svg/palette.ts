/**
 * Colours, from the Okabe–Ito palette: distinguishable with the common colour-vision
 * deficiencies and still apart when printed in greyscale (blue is dark, orange is light).
 * Candidate and champion keep the same colours in every chart so the eye learns them once.
 */
export const COLORS = {
  candidate: '#0072B2',
  champion: '#E69F00',
  reference: '#8A94A6',
  muted: '#C9CED6',
  ink: '#1F2933',
  subtle: '#5B6675',
  grid: '#E4E7EB',
  warn: '#D58A00',
  alert: '#C0392B',
  ok: '#4A90A4',
  green: '#009E73',
  purple: '#CC79A7',
  indigo: '#332288',
} as const;
