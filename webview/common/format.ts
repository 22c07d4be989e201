// Numbers as the panels show them: dollars with more precision below a dollar (batch costs often
// sit there), integers with separators, percentages and byte sizes.

export function dollars(amount: number): string {
  const size = Math.abs(amount);
  const digits = size >= 1 || amount === 0 ? 2 : size >= 0.01 ? 4 : 6;
  return `$${amount.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })}`;
}

export function integer(value: number): string {
  return value.toLocaleString('en-US');
}

/** How much cheaper `cost` is than `baseline`, as "48%"; empty when there is no baseline. */
export function saving(baseline: number, cost: number): string {
  if (baseline <= 0) return '';
  return `${Math.round(((baseline - cost) / baseline) * 100)}%`;
}

export function bytes(size: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = size;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

/** The last path segment, for showing a file name (the full path goes in a tooltip). */
export function baseName(file: string): string {
  return file.split(/[\\/]/).pop() ?? file;
}
