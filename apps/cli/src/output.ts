/**
 * Where a command writes. Colours only when stdout is a terminal, so a pipe,
 * a file or a test gets plain text; `NO_COLOR` turns them off too
 * (https://no-color.org).
 */
export interface Output {
  line(text?: string): void;
  error(text: string): void;
  green(text: string): string;
  red(text: string): string;
  yellow(text: string): string;
  bold(text: string): string;
}

export function terminalOutput(stdout: NodeJS.WriteStream = process.stdout, stderr: NodeJS.WriteStream = process.stderr): Output {
  const colour = Boolean(stdout.isTTY) && !process.env.NO_COLOR;
  const paint = (code: number) => (text: string) => (colour ? `\u001b[${code}m${text}\u001b[0m` : text);
  return {
    line: (text = '') => void stdout.write(`${text}\n`),
    error: (text) => void stderr.write(`${text}\n`),
    green: paint(32),
    red: paint(31),
    yellow: paint(33),
    bold: paint(1),
  };
}
