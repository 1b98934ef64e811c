/**
 * The process logger (pino, JSON lines on stdout). Parley never passes it passwords, cookies
 * or message bodies; the redaction below is the second line, for a field that slips in.
 */
import { pino, type Logger } from 'pino';
import type { LogLevel } from './config.js';

const SECRET_FIELDS = ['password', 'current', 'next', 'cookie', 'authorization', 'body', 'sessionSecret'];

export function createLogger(level: LogLevel): Logger {
  return pino({
    level,
    base: undefined,
    redact: { paths: [...SECRET_FIELDS, ...SECRET_FIELDS.map((f) => `*.${f}`)], censor: '[redacted]' },
  });
}
