/**
 * Temporal visibility queries (`RatchetModel="credit" AND …`): values are string literals in
 * double quotes, so a model or stage name can never change the query's meaning.
 */
export function queryLiteral(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}
