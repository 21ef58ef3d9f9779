/**
 * One line per event: time, level, component, message, and key=value fields. `--log-format json`
 * prints the same as one JSON object per line.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

const settings = { level: 'info' as LogLevel, json: false };

export function configureLogging(level: LogLevel, format: 'text' | 'json'): void {
  settings.level = level;
  settings.json = format === 'json';
}

export class Logger {
  constructor(readonly component: string) {}

  private write(level: LogLevel, msg: string, fields?: Record<string, unknown>): void {
    if (ORDER[level] < ORDER[settings.level]) return;
    const time = new Date().toISOString();
    const line = settings.json
      ? JSON.stringify({ time, level, component: this.component, msg, ...fields })
      : `${time} ${level.toUpperCase().padEnd(5)} ${this.component}: ${msg}` +
        (fields
          ? Object.entries(fields)
              .map(([k, v]) => ` ${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
              .join('')
          : '');
    process.stderr.write(line + '\n');
  }

  debug(msg: string, fields?: Record<string, unknown>): void {
    this.write('debug', msg, fields);
  }
  info(msg: string, fields?: Record<string, unknown>): void {
    this.write('info', msg, fields);
  }
  warn(msg: string, fields?: Record<string, unknown>): void {
    this.write('warn', msg, fields);
  }
  error(msg: string, fields?: Record<string, unknown>): void {
    this.write('error', msg, fields);
  }
}
