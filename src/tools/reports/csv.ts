/** CSV for spreadsheets, as the backtest and the scorecard write it: one header line, then one line per row. */

export type CsvValue = string | number | boolean | null;

export function csvCell(value: CsvValue): string {
  const text = value === null ? '' : String(value);
  // Quote what needs it; a leading = + - @ is neutralised so a spreadsheet never runs it as a formula.
  const safe = /^[=+\-@]/.test(text) ? `'${text}` : text;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function csvText(columns: readonly string[], rows: readonly (readonly CsvValue[])[]): string {
  const lines = rows.map((row) => row.map(csvCell).join(','));
  return `${[columns.join(','), ...lines].join('\n')}\n`;
}
